// holdWrites on a real connection: a response ended while its connection is held reaches the
// client only once every hold is released, whole and in order, and an unheld connection is untouched.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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
});
