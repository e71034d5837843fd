// The stream hot-shots writes to, on real sockets: one datagram per write without the newline
// hot-shots' stream transport appends, refusals reported (not thrown, not emitted), and a
// destroy() that hot-shots' close() can wait for; and the datagram size each path gets.
import * as dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatagramStream, maxDatagramBytesTo, type DatagramStream } from '../../../app/src/statsd/datagram-stream';
import { collectUdp } from '../../../harness/udp';

const streams: DatagramStream[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.destroy();
  for (const close of closers.splice(0)) await close();
});

function open(port: number, outcomes: { sent: number; errors: unknown[] }): DatagramStream {
  const stream = createDatagramStream({
    target: { host: '127.0.0.1', port },
    resolveIntervalMs: 60_000,
    retryIntervalMs: 1_000,
    lookup: () => Promise.reject(new Error('a literal address is never looked up')),
    onSent: () => {
      outcomes.sent += 1;
    },
    onError: (error) => outcomes.errors.push(error),
  });
  streams.push(stream);
  return stream;
}

function written(stream: DatagramStream, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => stream.write(chunk, resolve));
}

describe('the datagram stream', () => {
  it('sends each write as one datagram, minus exactly one trailing newline', async () => {
    const udp = await collectUdp();
    closers.push(() => udp.close());
    const outcomes = { sent: 0, errors: [] as unknown[] };
    const stream = open(udp.port, outcomes);
    await written(stream, 'a:1|c\nb:2|c\n');
    await written(stream, Buffer.from('c:3|g\n'));
    await written(stream, 'd:4|ms');
    await udp.waitFor((lines) => lines.length === 4);
    expect(udp.datagrams).toEqual(['a:1|c\nb:2|c', 'c:3|g', 'd:4|ms']);
    expect(outcomes).toEqual({ sent: 3, errors: [] });
  });

  it('reports a closed port as ECONNREFUSED through onError, never as an error event or a failed write', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const { port } = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const outcomes = { sent: 0, errors: [] as unknown[] };
    const stream = open(port, outcomes);
    const emitted: unknown[] = [];
    stream.on('error', (error) => emitted.push(error));
    const deadline = Date.now() + 10_000;
    while (outcomes.errors.length === 0) {
      if (Date.now() > deadline) throw new Error('no refusal reported');
      await written(stream, 'x:1|c\n');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((outcomes.errors[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(emitted).toEqual([]);
  });

  it('destroy(): a close event follows, and later writes are dropped but still called back', async () => {
    const udp = await collectUdp();
    closers.push(() => udp.close());
    const stream = open(udp.port, { sent: 0, errors: [] });
    await written(stream, 'before:1|c\n');
    const closed = new Promise((resolve) => stream.on('close', resolve));
    stream.destroy();
    await closed;
    expect(stream.destroyed).toBe(true);
    await written(stream, 'after:1|c\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(udp.datagrams).toEqual(['before:1|c']);
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

  it('the stream reports the address it is connected to, and none before', async () => {
    const udp = await collectUdp();
    closers.push(() => udp.close());
    const stream = open(udp.port, { sent: 0, errors: [] });
    expect(stream.address).toBeNull();
    await written(stream, 'p.gunicorn.workers:1|g\n');
    expect(stream.address).toBe('127.0.0.1');
  });
});
