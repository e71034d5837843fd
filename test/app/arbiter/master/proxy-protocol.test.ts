// --proxy-protocol in the built app, on real sockets: what the conformance transcripts cannot
// show with one write per connection. A header (v1 or v2) arriving a byte at a time, a kept-alive
// connection whose every request is logged with the header's client, a v1 line far longer than
// one read of the socket, a client that resets mid-header or right after it, and a graceful stop
// while a connection still waits for its header.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../../../harness/processes';
import { startMaster, type Master } from '../../../support/app-master';

let master: Master;
beforeAll(async () => {
  master = await startMaster(['--proxy-protocol', '--access-logfile', '-'], 1);
  await master.udp.waitFor((lines) => lines.some((line) => line.includes('.gunicorn.request.status.200:')));
});
afterAll(async () => {
  await stopAll();
  await master.udp.close();
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves once `socket` has received `count` complete responses to GET / (each ends with the demo's body). */
function responses(socket: net.Socket, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if ((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length === count && text.endsWith('Hello, World!')) resolve(text);
    });
    socket.once('error', reject);
  });
}

async function waitForOutput(pattern: RegExp, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((master.app.process.output().match(pattern) ?? []).length < count) {
    if (Date.now() > deadline) throw new Error(`${pattern} did not appear ${count} times:\n${master.app.process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const REQUEST = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

/** The worker still serves, and since `outputBefore` it has logged no warning or error and counted no log line. */
async function expectServingQuietly(outputBefore: number): Promise<void> {
  const response = await fetch(`${master.app.url}/`);
  expect(response.status).toBe(200);
  await master.udp.waitFor((lines) => lines.some((line) => line.includes('.gunicorn.request.status.200:')));
  expect(master.udp.lines().filter((line) => line.includes('.gunicorn.log.'))).toEqual([]);
  expect(master.app.process.output().slice(outputBefore)).not.toMatch(/WARNING|ERROR/);
}

const SIGNATURE = '\r\n\r\n\0\r\nQUIT\n';

async function writeInPieces(socket: net.Socket, bytes: Buffer, pieceLength: number): Promise<void> {
  for (let start = 0; start < bytes.length; start += pieceLength) {
    socket.write(bytes.subarray(start, start + pieceLength));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Sends `header` a byte at a time, then two requests on the same kept-alive connection: both are
 * answered, the access log names `client` for each, and no log line is counted.
 */
async function expectHeaderReadInBytes(header: Buffer, client: string): Promise<void> {
  master.udp.clear();
  const socket = await connect(master.app.port);
  const answered = responses(socket, 2);
  await writeInPieces(socket, header, 1);
  socket.write(REQUEST + REQUEST);
  await answered;
  socket.end();
  await waitForOutput(new RegExp(`^${client.replaceAll('.', '\\.')} - - \\[[^\\]]+\\] "GET \\/ HTTP\\/1\\.1" 200 `, 'gm'), 2);
  const lines = await master.udp.waitFor((sent) => sent.filter((line) => line.includes('.gunicorn.request.status.200:')).length === 2);
  expect(lines.filter((line) => line.includes('.gunicorn.log.'))).toEqual([]);
}

describe('--proxy-protocol on real connections', () => {
  it('reads a header sent a byte at a time, and logs its client for every request of the kept-alive connection', async () => {
    await expectHeaderReadInBytes(Buffer.from('PROXY TCP4 198.51.100.23 127.0.0.1 40000 8000\r\n', 'latin1'), '198.51.100.23');
  });

  it('a client resetting mid-header: nothing logged as a warning, nothing counted, the worker serves on', async () => {
    master.udp.clear();
    const before = master.app.process.output().length;
    const socket = await connect(master.app.port);
    socket.write('PROXY TCP4 198.51.100');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.resetAndDestroy();
    await expectServingQuietly(before);
  });

  it('clients that send an allowed header and reset at once (a proxy whose own client left): no refusal, nothing counted', async () => {
    master.udp.clear();
    const before = master.app.process.output().length;
    // The reset can reach the worker before it reads the bytes: the peer is still the one allowed.
    for (let i = 0; i < 50; i += 1) {
      const socket = await connect(master.app.port);
      socket.write('PROXY TCP4 198.51.100.26 127.0.0.1 40000 8000\r\n');
      socket.resetAndDestroy();
    }
    await expectServingQuietly(before);
  });
});

describe('--proxy-protocol (auto), headers in pieces', () => {
  it('reads a v2 header sent a byte at a time, and logs its client for every request of the kept-alive connection', async () => {
    // PROXY over TCP/IPv4 from 198.51.100.24:40000 to 127.0.0.1:8000.
    const header = Buffer.from([...Buffer.from(SIGNATURE, 'latin1'), 0x21, 0x11, 0, 12, 198, 51, 100, 24, 127, 0, 0, 1, 0x9c, 0x40, 0x1f, 0x40]);
    await expectHeaderReadInBytes(header, '198.51.100.24');
  });

  it('reads a v1 line of 300,000 bytes sent in 1,000-byte pieces to its CRLF, as Gunicorn does', async () => {
    master.udp.clear();
    const socket = await connect(master.app.port);
    const answered = responses(socket, 1);
    // Python's int() reads the port through the tabs before it.
    const line = `PROXY TCP4 198.51.100.25 127.0.0.1 40000 ${'\t'.repeat(300_000 - 47)}8000\r\n`;
    expect(line.length).toBe(300_000);
    await writeInPieces(socket, Buffer.from(line, 'latin1'), 1_000);
    socket.write(REQUEST);
    await answered;
    socket.end();
    await waitForOutput(/^198\.51\.100\.25 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 /gm, 1);
  });

  it('logs the client of a v2 LOCAL header as Gunicorn does, "None", for every request of the connection', async () => {
    master.udp.clear();
    const socket = await connect(master.app.port);
    const answered = responses(socket, 2);
    socket.write(Buffer.concat([Buffer.from(`${SIGNATURE}\x20\x00\x00\x00`, 'latin1'), Buffer.from(REQUEST + REQUEST)]));
    await answered;
    socket.end();
    await waitForOutput(/^None - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 /gm, 2);
  });
});

describe('a graceful stop while a connection waits for its header', () => {
  it('closes that connection at the graceful timeout, and the master exits 0', { timeout: 30_000 }, async () => {
    const stopping = await startMaster(['--proxy-protocol', '--graceful-timeout', '3'], 1);
    try {
      const socket = await connect(stopping.app.port);
      socket.write('PROXY TCP4 ');
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.on('error', () => {});
      // The worker has the connection once its first bytes are buffered: a request on a second connection proves it is serving.
      expect((await fetch(`${stopping.app.url}/`)).status).toBe(200);
      const exited = stopping.app.stop();
      await closed;
      expect(await exited).toBe(0);
      // The worker itself let go of the connection and exited, rather than being killed with it.
      expect(stopping.app.process.output()).toMatch(/Worker exiting \(pid: \d+\)/);
    } finally {
      await stopping.udp.close();
    }
  });
});
