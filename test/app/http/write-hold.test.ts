// holdWrites on a real connection: a response ended while its connection is held reaches the
// client only once every hold is released, whole and in order, and an unheld connection is untouched;
// the response itself finishes without waiting, and a connection that closes after it waits for it.
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { holdWrites, type Held } from '../../../app/src/http/write-hold';

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

async function listen(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(url: string, agent?: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).once('error', reject);
  });
}

describe('holdWrites', () => {
  it('a response ended while held reaches the client only after release', async () => {
    let released = false;
    const url = await listen((_req, res) => {
      const held = holdWrites(res.socket!);
      res.end('held body');
      // Long enough for an unheld response to arrive first; the order is what is asserted.
      setTimeout(() => {
        released = true;
        held.release();
      }, 100);
    });
    const body = await get(url);
    expect(body).toBe('held body');
    expect(released).toBe(true);
  });

  it('holds nest: the connection writes once the last of them is released', async () => {
    const releases: string[] = [];
    const url = await listen((_req, res) => {
      const first: Held = holdWrites(res.socket!);
      const second: Held = holdWrites(res.socket!);
      res.write('part one, ');
      res.end('part two');
      setTimeout(() => {
        releases.push('first');
        first.release();
        setTimeout(() => {
          releases.push('second');
          second.release();
        }, 50);
      }, 50);
    });
    expect(await get(url)).toBe('part one, part two');
    expect(releases).toEqual(['first', 'second']);
  });

  it('after release, the kept-alive connection serves its next response without a hold', async () => {
    let served = 0;
    const url = await listen((_req, res) => {
      served += 1;
      if (served === 1) {
        const held = holdWrites(res.socket!);
        res.end('first');
        setImmediate(held.release);
      } else {
        res.end('second');
      }
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(url, agent)).toBe('first');
      expect(await get(url, agent)).toBe('second');
    } finally {
      agent.destroy();
    }
  });

  it('the response finishes while held (\'finish\' before the release), its bytes reach the client after', async () => {
    const events: string[] = [];
    const url = await listen((_req, res) => {
      const held = holdWrites(res.socket!);
      res.once('finish', () => events.push('finish'));
      res.end('held body');
      setTimeout(() => {
        events.push('release');
        held.release();
      }, 100);
    });
    expect(await get(url)).toBe('held body');
    events.push('received');
    expect(events).toEqual(['finish', 'release', 'received']);
  });

  it('a connection closing after its response sends the held bytes before it shuts down', async () => {
    let released = false;
    const url = new URL(await listen((_req, res) => {
      res.setHeader('connection', 'close');
      const held = holdWrites(res.socket!);
      res.end('last body');
      setTimeout(() => {
        released = true;
        held.release();
      }, 100);
    }));
    // A raw connection, read to its end: the server's shutdown must come after the response.
    const received = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.once('end', () => resolve(text));
      socket.once('error', reject);
    });
    expect(released).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.endsWith('\r\n\r\nlast body')).toBe(true);
  });

  it('a connection destroyed while held closes once the held bytes are written', async () => {
    let released = false;
    const url = await listen((_req, res) => {
      const held = holdWrites(res.socket!);
      res.end('sent before the close');
      res.socket!.destroy();
      setTimeout(() => {
        released = true;
        held.release();
      }, 100);
    });
    expect(await get(url)).toBe('sent before the close');
    expect(released).toBe(true);
  });

  it('a connection destroyed for an error while held loses what was kept; the release afterwards is harmless', async () => {
    let releasedWithout: unknown = 'not released';
    const url = await listen((_req, res) => {
      const held = holdWrites(res.socket!);
      res.end('never sent');
      res.socket!.destroy(new Error('reset by the test'));
      setTimeout(() => {
        try {
          held.release();
          releasedWithout = null;
        } catch (error) {
          releasedWithout = error;
        }
      }, 50);
    });
    await expect(get(url)).rejects.toThrow(/socket hang up|ECONNRESET/);
    await vi.waitFor(() => expect(releasedWithout).toBeNull(), { timeout: 5_000 });
  });
});
