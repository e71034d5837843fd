// HTTP abuse against the app with two workers and the real exporter: malformed requests,
// oversized headers, a huge body, slow clients, 500 simultaneous connections. Each is answered or
// closed cleanly, no worker dies, and the exporter receives exactly the lines of the requests that
// reached the app, plus one log.warning for each request the parser rejected (as Gunicorn counts
// its "Invalid request from ip=..." warning, with no request triple), all of them valid (no sample
// errors, nothing unmapped).
import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { startApp, startStatsdExporter, type App, type StatsdExporter } from '../../harness/stack';
import { delta, exporterSnapshot, settledSnapshot, type ExporterSnapshot } from '../support/exporter';
import { drive, sleep } from '../support/load';
import { isAlive } from '../support/procfs';
import { bootedWorkers } from '../support/server-log';

const APP = 'flask_app';

let exporter: StatsdExporter;
let app: App;
let workers: number[];
let start: ExporterSnapshot;

interface RawReply {
  /** Everything the server sent before closing. */
  readonly text: string;
  /** How the connection ended: 'end' (the server closed it), or a socket error code. */
  readonly ended: string;
}

/** Writes `data` on a fresh connection and collects the reply until the server closes it. */
function raw(data: string | Buffer, timeoutMs = 10_000): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = net.connect(app.port, LOOPBACK, () => socket.write(data));
    let text = '';
    let ended = 'timeout';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => (ended = 'end'));
    socket.on('error', (error: NodeJS.ErrnoException) => (ended = error.code ?? error.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, ended });
    });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
  });
}

const statusLine = (reply: RawReply) => reply.text.split('\r\n')[0];

/** Exporter state once every line sent so far has arrived and been counted. */
const settled = () => settledSnapshot(exporter.url, APP);

/** The exporter received exactly `requests` more requests (3 lines each), `warnings` more
 * log.warning lines, and nothing else. */
function expectExactly(
  before: ExporterSnapshot,
  after: ExporterSnapshot,
  requests: number,
  statuses: Record<string, number>,
  warnings = 0,
) {
  expect(after.requests - before.requests).toBe(requests);
  expect(delta(after.byStatus, before.byStatus)).toEqual(statuses);
  expect((after.log.warning ?? 0) - (before.log.warning ?? 0)).toBe(warnings);
  expect(after.lines - before.lines).toBe(3 * requests + warnings);
  expect(after.sampleErrors).toBe(0);
  expect(after.unmapped).toBe(0);
}

beforeAll(async () => {
  exporter = await startStatsdExporter();
  app = await startApp(['--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`, '--statsd-prefix', APP, '--demo-delay-scale', '0.01']);
  workers = bootedWorkers(app.process.output());
  start = await settled();
});

afterAll(async () => {
  await stopAll();
});

describe('malformed requests', () => {
  // Each row: what is wrong, the bytes, Node's answer. All are rejected by the HTTP parser, before the app.
  const cases: [string, string | Buffer, string][] = [
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['binary bytes', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a]), 'HTTP/1.1 400 Bad Request'],
    ['an unknown HTTP version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['a space inside the URL', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['a Content-Length that is not a number', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['Transfer-Encoding and Content-Length together (smuggling)', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['two different Content-Lengths', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['headers over 16 KiB (Node\'s --max-http-header-size)', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large'],
  ];

  it.each(cases)('%s: answered and closed by the server, one log.warning, no request triple', async (_name, bytes, expected) => {
    const before = await settled();
    const reply = await raw(bytes);
    expect(statusLine(reply)).toBe(expected);
    expect(reply.ended).toBe('end');
    expectExactly(before, await settled(), 0, {}, 1);
  });
});

describe('an HTTP/1.1 request without a Host header', () => {
  it('is served and counted, as Gunicorn serves it (Node alone would answer 400)', async () => {
    const before = await settled();
    const reply = await raw('GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(statusLine(reply)).toBe('HTTP/1.1 200 OK');
    expectExactly(before, await settled(), 1, { '200': 1 });
  });
});

describe('a huge request body', () => {
  it('is not read by the demo route; the request is answered (or reset after the answer) and counted once as a 200', async () => {
    const before = await settled();
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const result = await new Promise<{ status: number | null; sent: number; error?: string }>((resolve) => {
      let sent = 0;
      let status: number | null = null;
      const request = http.request(
        { host: LOOPBACK, port: app.port, path: '/', method: 'GET', agent: false, headers: { 'content-length': total } },
        (response) => {
          status = response.statusCode ?? null;
          response.resume();
          response.on('end', () => {
            request.destroy();
            resolve({ status, sent });
          });
        },
      );
      // Writing stops when the server has answered or refuses more (EPIPE/ECONNRESET after the answer).
      request.on('error', (error: NodeJS.ErrnoException) => resolve({ status, sent, error: error.code }));
      const pump = () => {
        while (sent < total && status === null) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        if (sent >= total) request.end();
      };
      pump();
    });
    // The server answers 200 without reading the body, then closes the connection. The client may
    // see the answer, or only the reset: a RST discards what the kernel had not yet handed over.
    // Either way the server's own record, the exporter's count, shows one 200.
    if (result.status === null) expect(['ECONNRESET', 'EPIPE']).toContain(result.error);
    else expect(result.status).toBe(200);
    expectExactly(before, await settled(), 1, { '200': 1 });
    console.info(`huge body: answered ${result.status} after ${(result.sent / 1048576).toFixed(1)} MiB written${result.error ? `, then ${result.error}` : ''}`);
  });
});

describe('slow clients (slowloris)', () => {
  it('do not stop the workers serving everyone else', async () => {
    const before = await settled();
    const slow = Array.from({ length: 50 }, () => net.connect(app.port, LOOPBACK));
    const closedByServer = new Set<net.Socket>();
    for (const socket of slow) {
      socket.on('error', () => closedByServer.add(socket));
      socket.on('end', () => closedByServer.add(socket));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    }
    // Headers dribbled, one line per socket every 200 ms, while others are served.
    let dribbling = true;
    const dribble = (async () => {
      for (let i = 0; dribbling; i += 1) {
        for (const socket of slow) if (!socket.destroyed) socket.write(`X-Slow-${i}: 1\r\n`);
        await sleep(200);
      }
    })();
    const served = await drive(app.url, { '/': 100, '/cpu_task': 20 }, 8);
    dribbling = false;
    await dribble;
    expect(served.failures).toEqual([]);
    expect(served.answered).toBe(120);
    // The slow sockets never completed a request: no line for them.
    for (const socket of slow) socket.destroy();
    expectExactly(before, await settled(), 120, { '200': 120 });
    console.info(`slowloris: ${closedByServer.size} of ${slow.length} slow sockets closed by the server during the test`);
  });
});

describe('500 simultaneous connections', () => {
  it('are each answered, with no worker lost and exactly 500 requests counted', async () => {
    const before = await settled();
    const replies = await Promise.all(
      Array.from({ length: 500 }, () => raw('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 30_000)),
    );
    const statuses = new Map<string, number>();
    for (const reply of replies) statuses.set(statusLine(reply) || reply.ended, (statuses.get(statusLine(reply) || reply.ended) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 'HTTP/1.1 200 OK': 500 });
    expectExactly(before, await settled(), 500, { '200': 500 });
  });
});

describe('after all of it', () => {
  it('runs the same two workers under the same master, and every line received parsed', async () => {
    expect(bootedWorkers(app.process.output())).toEqual(workers);
    for (const pid of [app.process.pid, ...workers]) expect(isAlive(pid)).toBe(true);
    const end = await exporterSnapshot(exporter.url, APP);
    expect(end.sampleErrors).toBe(0);
    expect(end.unmapped).toBe(0);
    expect(end.udpDrops).toBe(0);
    // Every line the exporter got since start-up is one of the counted requests' three lines or
    // the warning of a rejected request.
    expect(end.lines - start.lines).toBe(
      3 * (end.requests - start.requests) + ((end.log.warning ?? 0) - (start.log.warning ?? 0)),
    );
  });
});
