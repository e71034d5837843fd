// The PROXY v2 header judged as Gunicorn 27 judges it: each row a header, with what Gunicorn
// reads from it or its exact message.
import { describe, expect, it } from 'vitest';
import { judgeV2, V2_SIGNATURE } from '../../../app/src/proxy-protocol/v2';

function header(versionCommand: number, familyTransport: number, body: number[], length = body.length): Buffer {
  return Buffer.concat([V2_SIGNATURE, Buffer.from([versionCommand, familyTransport, length >> 8, length & 0xff, ...body])]);
}
const TCP4 = [203, 0, 113, 7, 127, 0, 0, 1, 0xc8, 0x22, 0x1f, 0x40];
const TCP6 = [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 7, ...Array<number>(15).fill(0), 1, 0xc8, 0x22, 0x1f, 0x40];
const NO_ADDRESSES = { clientAddress: null, clientPort: null, proxyAddress: null, proxyPort: null };

describe('judgeV2', () => {
  it.each([
    ['PROXY over TCP/IPv4', header(0x21, 0x11, TCP4), { protocol: 'TCP4', clientAddress: '203.0.113.7', clientPort: 51234, proxyAddress: '127.0.0.1', proxyPort: 8000 }],
    ['PROXY over TCP/IPv6', header(0x21, 0x21, TCP6), { protocol: 'TCP6', clientAddress: '2001:db8::7', clientPort: 51234, proxyAddress: '::1', proxyPort: 8000 }],
    ['TLVs after the addresses, skipped', header(0x21, 0x11, [...TCP4, 0x05, 0, 2, 0x61, 0x62]), { protocol: 'TCP4', clientAddress: '203.0.113.7', clientPort: 51234, proxyAddress: '127.0.0.1', proxyPort: 8000 }],
    ['LOCAL: no client', header(0x20, 0x00, []), { protocol: 'LOCAL', ...NO_ADDRESSES }],
    ['LOCAL with addresses, unread', header(0x20, 0x11, TCP4), { protocol: 'LOCAL', ...NO_ADDRESSES }],
    ['LOCAL of UDP over a unknown family, unchecked', header(0x20, 0x72, []), { protocol: 'LOCAL', ...NO_ADDRESSES }],
    ['PROXY of family UNSPEC over TCP: no client', header(0x21, 0x01, []), { protocol: 'UNSPEC', ...NO_ADDRESSES }],
  ])('reads %s', (_name, bytes, addresses) => {
    const verdict = judgeV2(Buffer.concat([bytes, Buffer.from('GET')]));
    expect(verdict).toEqual({ kind: 'proxied', addresses, rest: Buffer.from('GET') });
  });

  it.each([
    ['version 1', header(0x11, 0x11, TCP4), 'unsupported version 1'],
    ['version 3, before its length is looked at', header(0x31, 0x11, [], 65535), 'unsupported version 3'],
    ['command 2', header(0x22, 0x11, TCP4), 'unsupported command 2'],
    ['family and transport UNSPEC', header(0x21, 0x00, []), 'only TCP protocol is supported'],
    ['UDP', header(0x21, 0x12, TCP4), 'only TCP protocol is supported'],
    ['AF_UNIX', header(0x21, 0x31, Array<number>(216).fill(0)), 'unsupported address family 3'],
    ['an IPv4 block too short', header(0x21, 0x11, TCP4.slice(0, 11)), 'insufficient address data for IPv4'],
    ['an IPv6 block too short', header(0x21, 0x21, TCP6.slice(0, 35)), 'insufficient address data for IPv6'],
  ])('fails %s with Gunicorn\'s message', (_name, bytes, detail) => {
    const verdict = judgeV2(bytes);
    expect(verdict.kind === 'failed' && verdict.error.message).toBe(`Invalid PROXY header: ${detail}`);
  });

  it.each([
    ['the signature alone', V2_SIGNATURE],
    ['15 bytes', header(0x21, 0x11, TCP4).subarray(0, 15)],
    ['addresses short of the length', header(0x21, 0x11, TCP4).subarray(0, 27)],
  ])('waits for more after %s', (_name, bytes) => {
    expect(judgeV2(bytes).kind).toBe('need-more');
  });
});
