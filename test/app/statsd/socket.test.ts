// The StatsD socket on real sockets, with the packing in front of it as the client puts it: exact
// datagrams per packing, flush/close, outages, DNS re-resolution, refusals reported (never thrown
// or emitted), the datagram size each path gets, and Gunicorn's bytes whatever Datadog variables
// the environment holds.
import * as dgram from 'node:dgram';
import StatsD from 'hot-shots';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Address, StatsdPacking } from '../../../app/src/config';
import { createPacking } from '../../../app/src/statsd/packing';
import { createStatsdSocket, maxDatagramBytesTo, type StatsdSocketOptions } from '../../../app/src/statsd/socket';
import { collectUdp, type UdpCollector } from '../../../harness/udp';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function collector(options?: { host?: string; port?: number }): Promise<UdpCollector> {
  const udp = await collectUdp(options);
  // Tests close some collectors themselves (an exporter going away); closing twice is fine here.
  cleanups.push(() => udp.close().catch(() => {}));
  return udp;
}

/** Lines in, through a packing, to a socket: as createGunicornStatsd puts them together. */
interface StatsdTransport {
  send(lines: readonly string[]): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Recorded {
  transport: StatsdTransport;
  warnings: string[];
  infos: string[];
}

type Extra = Partial<Omit<StatsdSocketOptions, 'target' | 'warn' | 'info'>> & { maxDatagramBytes?: number };

function transport(target: Address, packing: StatsdPacking, extra: Extra = {}): Recorded {
  const warnings: string[] = [];
  const infos: string[] = [];
  const { maxDatagramBytes, ...tuning } = extra;
  const socket = createStatsdSocket({
    target,
    warn: (message) => warnings.push(message),
    info: (message) => infos.push(message),
    ...tuning,
  });
  const packer = createPacking({
    mode: packing,
    maxDatagramBytes: maxDatagramBytes === undefined ? socket.maxDatagramBytes : () => maxDatagramBytes,
    send: socket.send,
  });
  const created: StatsdTransport = {
    send(lines) {
      const text = lines.join('\n');
      packer.add(text, Buffer.byteLength(text));
    },
    flush() {
      packer.drain();
      return socket.flush();
    },
    close() {
      packer.drain();
      return socket.close();
    },
  };
  cleanups.push(() => created.close());
  return { transport: created, warnings, infos };
}

/** A loopback port with nothing listening: bound, read, released. */
async function closedPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `predicate` holds (no timing is asserted: the deadline only bounds a failure). */
async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Sends one line every 10 ms until `predicate` holds, as a live app would; returns how many were sent. */
async function sendUntil(sender: StatsdTransport, line: string, predicate: () => boolean, what: string): Promise<number> {
  let sent = 0;
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    sender.send([`${line}:${sent}|c|@1.0`]);
    sent += 1;
    await sleep(10);
  }
  return sent;
}

const loopback = (port: number): Address => ({ host: '127.0.0.1', port });
const LINES = ['p.gunicorn.request.duration:2.49|ms', 'p.gunicorn.requests:1|c|@1.0', 'p.gunicorn.request.status.200:1|c|@1.0'];

describe('packing: exact datagrams', () => {
  it('line: one datagram per line, as Gunicorn sends them', async () => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), 'line');
    sender.send(LINES);
    await sender.flush();
    await udp.waitFor((lines) => lines.length === 3);
    expect(udp.datagrams).toEqual(LINES);
  });

  it('request: the lines of one send() share a datagram, joined by "\\n"', async () => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), 'request');
    sender.send(LINES);
    sender.send(['p.gunicorn.log.warning:1|c|@1.0']);
    await sender.flush();
    await udp.waitFor((lines) => lines.length === 4);
    expect(udp.datagrams).toEqual([LINES.join('\n'), 'p.gunicorn.log.warning:1|c|@1.0']);
  });

  it('buffer: the lines of one event-loop turn leave together at its end, with no flush()', async () => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), 'buffer');
    sender.send(LINES);
    sender.send(['p.gunicorn.workers:2|g']);
    await udp.waitFor((lines) => lines.length === 4);
    expect(udp.datagrams).toEqual([[...LINES, 'p.gunicorn.workers:2|g'].join('\n')]);
  });

  it('buffer: lines of the next turn go in the next datagram', async () => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), 'buffer');
    sender.send(LINES);
    await new Promise((resolve) => setImmediate(resolve));
    sender.send(['p.gunicorn.workers:2|g']);
    await udp.waitFor((lines) => lines.length === 4);
    expect(udp.datagrams).toEqual([LINES.join('\n'), 'p.gunicorn.workers:2|g']);
  });

  it('buffer: a datagram is sent as soon as the next line would not fit', async () => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), 'buffer', { maxDatagramBytes: 21 });
    sender.send(['aaaaaaaaa1']);
    sender.send(['aaaaaaaaa2']);
    sender.send(['aaaaaaaaa3']);
    await udp.waitFor((lines) => lines.length === 3);
    expect(udp.datagrams).toEqual(['aaaaaaaaa1\naaaaaaaaa2', 'aaaaaaaaa3']);
  });

  it('buffer: to a loopback address, one turn\'s lines fill datagrams of up to 16,000 bytes', async () => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), 'buffer');
    // 200 lines of 99 bytes (100 with the separator): 20,000 bytes, so one full datagram and the rest.
    const lines = Array.from({ length: 200 }, (_, i) => `p.gunicorn.request.status.200:1|c|@1.0|#i:${String(i).padStart(3, '0')}`.padEnd(99, 'x'));
    // A first line arriving proves the socket is connected, so the path is known when the turn starts.
    sender.send(['p.gunicorn.workers:1|g']);
    await udp.waitFor((received) => received.length === 1);
    udp.clear();
    sender.send(lines);
    await udp.waitFor((received) => received.length === 200);
    expect(udp.datagrams.map((datagram) => Buffer.byteLength(datagram))).toEqual([160 * 100 - 1, 40 * 100 - 1]);
    expect(udp.lines()).toEqual(lines);
  });
});

describe('flush and close', () => {
  it.each(['line', 'request', 'buffer'] as const)('%s: flush() hands every line to the kernel before resolving', async (packing) => {
    const udp = await collector();
    const { transport: sender } = transport(loopback(udp.port), packing);
    for (let i = 0; i < 50; i += 1) sender.send([`p.gunicorn.requests:1|c|@1.0|#i:${i}`]);
    await sender.flush();
    const lines = await udp.waitFor((received) => received.length === 50);
    expect(lines).toEqual(Array.from({ length: 50 }, (_, i) => `p.gunicorn.requests:1|c|@1.0|#i:${i}`));
  });

  it.each(['line', 'request', 'buffer'] as const)('%s: close() delivers every line, then drops later sends without throwing', async (packing) => {
    const udp = await collector();
    const { transport: sender, warnings } = transport(loopback(udp.port), packing);
    sender.send(LINES);
    await sender.close();
    await udp.waitFor((lines) => lines.length === 3);
    expect(() => sender.send(['late:1|c|@1.0'])).not.toThrow();
    await sender.close(); // idempotent
    await sleep(50);
    expect(udp.lines()).toEqual(LINES);
    expect(warnings).toEqual([]);
  });

  it('close() with a name still resolving neither hangs nor throws', async () => {
    const { transport: sender } = transport({ host: 'statsd.test', port: 9 }, 'line', {
      lookup: () => new Promise(() => {}), // a resolver that never answers
      flushTimeoutMs: 100,
    });
    sender.send(LINES);
    await expect(sender.close()).resolves.toBeUndefined();
  });
});

describe('outages: never throw, warn once per outage, say once when it works again', () => {
  it.each(['line', 'request', 'buffer'] as const)('%s: no listener: sends keep going, one warning; a listener appears: one recovery; it goes: a new warning', async (packing) => {
    const port = await closedPort();
    const { transport: sender, warnings, infos } = transport(loopback(port), packing, { recoveryQuietMs: 100 });

    await sendUntil(sender, 'down', () => warnings.length > 0, 'the first warning');
    for (let i = 0; i < 30; i += 1) {
      expect(() => sender.send([`more-down:${i}|c|@1.0`])).not.toThrow();
      await sleep(10);
    }
    await sender.flush();
    // Many more refused datagrams, still one warning, and no recovery.
    expect(warnings).toEqual([
      `statsd: cannot send to 127.0.0.1:${port} (recvmsg ECONNREFUSED); metric lines are dropped until it answers, retrying`,
    ]);
    expect(infos).toEqual([]);

    const udp = await collector({ port });
    await sendUntil(sender, 'up', () => infos.length > 0, 'the recovery message');
    expect(infos).toEqual([`statsd: sending to 127.0.0.1:${port} again`]);
    expect(udp.lines().length).toBeGreaterThan(0);
    expect(udp.lines().every((line) => line.startsWith('up:'))).toBe(true);

    await udp.close();
    await sendUntil(sender, 'down-again', () => warnings.length > 1, 'the second outage warning');
    expect(warnings).toHaveLength(2);
    expect(infos).toHaveLength(1);
  });

  it('a refusal resets the quiet period: no recovery is announced while datagrams are still refused', async () => {
    const port = await closedPort();
    const { transport: sender, warnings, infos } = transport(loopback(port), 'line', { recoveryQuietMs: 300 });
    await sendUntil(sender, 'down', () => warnings.length > 0, 'the warning');
    // Every datagram is handed to the kernel fine and refused just after: for longer than the quiet
    // period, each success is followed by a refusal.
    const until = Date.now() + 1_000;
    while (Date.now() < until) {
      sender.send(['still-down:1|c|@1.0']);
      await sleep(20);
    }
    await sender.flush();
    expect(warnings).toHaveLength(1);
    expect(infos).toEqual([]);
  });

  it('a host name that does not resolve: one warning, no throw, flush still resolves', async () => {
    const { transport: sender, warnings } = transport({ host: 'no-such-host.invalid', port: 9125 }, 'line', { retryIntervalMs: 20 });
    for (let i = 0; i < 20; i += 1) {
      expect(() => sender.send(LINES)).not.toThrow();
      await sleep(10);
    }
    await until(() => warnings.length > 0, 'the warning');
    await sender.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^statsd: cannot send to no-such-host\.invalid:9125 \(.*ENOTFOUND.*\); metric lines are dropped until it answers, retrying$/);
  });

  it.each(['line', 'request', 'buffer'] as const)('%s: a name that starts resolving later: the lines flow and the outage ends once', async (packing) => {
    const udp = await collector();
    let resolvable = false;
    const { transport: sender, warnings, infos } = transport({ host: 'statsd.test', port: udp.port }, packing, {
      retryIntervalMs: 20,
      recoveryQuietMs: 50,
      lookup: async () => {
        if (!resolvable) throw Object.assign(new Error('getaddrinfo ENOTFOUND statsd.test'), { code: 'ENOTFOUND' });
        return '127.0.0.1';
      },
    });
    await sendUntil(sender, 'early', () => warnings.length > 0, 'the warning');
    expect(warnings).toEqual([
      'statsd: cannot send to statsd.test:' + udp.port + ' (getaddrinfo ENOTFOUND statsd.test); metric lines are dropped until it answers, retrying',
    ]);
    resolvable = true;
    await sendUntil(sender, 'late', () => infos.length > 0, 'the recovery message');
    await sendUntil(sender, 'later', () => udp.lines().some((line) => line.startsWith('later:')), 'lines after the recovery');
    expect(warnings).toHaveLength(1);
    expect(infos).toEqual([`statsd: sending to statsd.test:${udp.port} again`]);
    expect(udp.lines().every((line) => line.startsWith('late:') || line.startsWith('later:'))).toBe(true);
  });
});

describe('name resolution', () => {
  it('resolves a real name through the system resolver (localhost → 127.0.0.1 in /etc/hosts)', async () => {
    const udp = await collector();
    const { transport: sender, warnings } = transport({ host: 'localhost', port: udp.port }, 'line');
    sender.send(LINES);
    await sender.flush();
    await udp.waitFor((lines) => lines.length === 3);
    expect(udp.datagrams).toEqual(LINES);
    expect(warnings).toEqual([]);
  });

  // Two listeners on one port at two loopback addresses stand for an exporter whose container got a
  // new address; the injected resolver plays DNS. (Linux routes all of 127/8 to lo.)
  it('re-resolves periodically and follows a new address without an error', async () => {
    const before = await collector({ host: '127.0.0.1' });
    const after = await collector({ host: '127.0.0.2', port: before.port });
    const dns = { address: '127.0.0.1' };
    const { transport: sender, warnings } = transport({ host: 'statsd.test', port: before.port }, 'line', {
      lookup: async () => dns.address,
      resolveIntervalMs: 30,
    });
    await sendUntil(sender, 'first', () => before.lines().length > 0, 'a line at the first address');
    dns.address = '127.0.0.2';
    await sendUntil(sender, 'second', () => after.lines().length > 0, 'a line at the new address');
    expect(after.lines().every((line) => line.startsWith('second:'))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('a failing re-resolution keeps the known address: no warning, lines still arrive', async () => {
    const udp = await collector();
    let lookups = 0;
    const { transport: sender, warnings } = transport({ host: 'statsd.test', port: udp.port }, 'line', {
      resolveIntervalMs: 20,
      lookup: async () => {
        lookups += 1;
        if (lookups > 1) throw Object.assign(new Error('getaddrinfo EAI_AGAIN statsd.test'), { code: 'EAI_AGAIN' });
        return '127.0.0.1';
      },
    });
    await until(() => lookups >= 3, 'failed periodic lookups');
    sender.send(LINES);
    await sender.flush();
    await udp.waitFor((lines) => lines.length === 3);
    expect(udp.datagrams).toEqual(LINES);
    expect(warnings).toEqual([]);
  });
});

describe('Datadog variables in the environment change nothing on the wire', () => {
  // Each of these makes a hot-shots client with default options switch to DogStatsD: tags from
  // DD_TAGS/DD_ENV/DD_SERVICE/DD_VERSION/DD_ENTITY_ID, |e:/|card: fields, another destination.
  // The app's client reads none of them: the bytes stay Gunicorn's.
  const DATADOG = {
    DD_ENV: 'prod',
    DD_SERVICE: 'shop',
    DD_VERSION: '1.2.3',
    DD_TAGS: 'team:web,region:eu',
    DD_AGENT_HOST: '127.0.0.9',
    DD_DOGSTATSD_PORT: '8125',
    DD_ENTITY_ID: 'pod-1234',
    DD_EXTERNAL_ENV: 'it-false,cn-app,pu-1234',
    DD_CARDINALITY: 'high',
  };
  const saved = new Map<string, string | undefined>();
  beforeAll(() => {
    for (const [name, value] of Object.entries(DATADOG)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('the same variables do change what a default hot-shots client writes (so they are in effect)', async () => {
    const udp = await collector();
    const plain = new StatsD({ host: '127.0.0.1', port: udp.port });
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    plain.increment('gunicorn.requests');
    const [line] = await udp.waitFor((lines) => lines.length === 1);
    expect(line).toMatch(/^gunicorn\.requests:1\|c\|#.*env:prod/);
    expect(line).toContain('service:shop');
  });

  it.each(['line', 'request', 'buffer'] as const)('%s: the bytes are Gunicorn\'s, to the configured address', async (packing) => {
    const udp = await collector();
    const { transport: sender, warnings } = transport(loopback(udp.port), packing);
    sender.send(LINES);
    sender.send(['p.gunicorn.workers:2|g|#env:test']);
    await sender.flush();
    await udp.waitFor((lines) => lines.length === 4);
    expect(udp.lines()).toEqual([...LINES, 'p.gunicorn.workers:2|g|#env:test']);
    expect(warnings).toEqual([]);
  });
});

describe('the socket', () => {
  it('sends each datagram as given, newlines inside it included', async () => {
    const udp = await collector();
    const socket = createStatsdSocket({ target: loopback(udp.port), warn: (message) => { throw new Error(message); } });
    cleanups.push(() => socket.close());
    const sent: string[] = [];
    socket.send('a:1|c\nb:2|c', () => sent.push('first'));
    socket.send('c:3|g', () => sent.push('second'));
    await socket.flush();
    await udp.waitFor((lines) => lines.length === 3);
    expect(udp.datagrams).toEqual(['a:1|c\nb:2|c', 'c:3|g']);
    expect(sent).toEqual(['first', 'second']);
  });

  it('calls back only once the datagram is in the kernel: not before send() returns', async () => {
    const udp = await collector();
    const socket = createStatsdSocket({ target: loopback(udp.port), warn: () => {} });
    cleanups.push(() => socket.close());
    socket.send('warm:1|c'); // connects
    await udp.waitFor((lines) => lines.length === 1);
    let called = false;
    socket.send('x:1|c', () => (called = true));
    expect(called).toBe(false);
    await socket.flush();
    expect(called).toBe(true);
  });

  it('reports a closed port as ECONNREFUSED in its one warning, never as an error event or a throw', async () => {
    const port = await closedPort();
    const { transport: sender, warnings } = transport(loopback(port), 'line');
    await sendUntil(sender, 'x', () => warnings.length > 0, 'the refusal');
    expect(warnings[0]).toContain('ECONNREFUSED');
  });

  it('after close(), sends are dropped and still called back', async () => {
    const udp = await collector();
    const socket = createStatsdSocket({ target: loopback(udp.port), warn: () => {} });
    socket.send('before:1|c');
    await socket.close();
    let called = false;
    socket.send('after:1|c', () => (called = true));
    expect(called).toBe(true);
    await sleep(50);
    expect(udp.datagrams).toEqual(['before:1|c']);
  });

  it('a name not resolved yet: the datagram waits for the address, its sender does not', async () => {
    const udp = await collector();
    let answer!: (address: string) => void;
    const socket = createStatsdSocket({
      target: { host: 'statsd.test', port: udp.port },
      warn: () => {},
      lookup: () => new Promise((resolve) => (answer = resolve)),
    });
    cleanups.push(() => socket.close());
    let called = false;
    socket.send('early:1|c', () => (called = true));
    expect(called).toBe(true);
    answer('127.0.0.1');
    await udp.waitFor((lines) => lines.length === 1);
    expect(udp.datagrams).toEqual(['early:1|c']);
  });
});

describe('the largest datagram for a path', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.1'])(
    'loopback %s: 16,000 bytes (lo never fragments them)', (address) => {
      expect(maxDatagramBytesTo(address)).toBe(16_000);
    });

  it.each(['172.18.0.2', '10.0.0.1', '192.168.1.10', '128.0.0.1', '::ffff:10.0.0.1', 'fe80::1', '2001:db8::1'])(
    'any other address %s: 1432 bytes (one 1500-byte MTU)', (address) => {
      expect(maxDatagramBytesTo(address)).toBe(1432);
    });

  it('no address yet: 1432 bytes, the size that fits any path', () => {
    expect(maxDatagramBytesTo(null)).toBe(1432);
  });

  it('the socket reports the address it is connected to, and none before', async () => {
    const udp = await collector();
    const socket = createStatsdSocket({ target: loopback(udp.port), warn: () => {} });
    cleanups.push(() => socket.close());
    expect(socket.address).toBeNull();
    socket.send('p.gunicorn.workers:1|g');
    await socket.flush();
    expect(socket.address).toBe('127.0.0.1');
    expect(socket.maxDatagramBytes()).toBe(16_000);
  });
});
