// IPv6 addresses written as glibc's inet_ntop() writes them (Python's socket.inet_ntop, which
// Gunicorn's v2 reader uses): every row's text was printed by Python 3.11 on glibc.
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from '../../../app/src/proxy-protocol/inet-ntop';

describe('ipv6Text', () => {
  it.each([
    ['loopback', '00000000000000000000000000000001', '::1'],
    ['all zeros', '00000000000000000000000000000000', '::'],
    ['a documentation address', '20010db8000000000000000000000007', '2001:db8::7'],
    ['a run at the end', '00010000000000000000000000000000', '1::'],
    ['the longer of two runs', '20010000000000010000000000000001', '2001:0:0:1::1'],
    ['the first of two equal runs', '00000000abcd00000000000000000000', '0:0:abcd::'],
    ['a single zero group not compressed', '20010db8000000ab0000000000000c0d', '2001:db8:0:ab::c0d'],
    ['no run at all', '0123456789abcdef0000123400005678', '123:4567:89ab:cdef:0:1234:0:5678'],
    ['IPv4-mapped: dotted', '00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
    ['IPv4-mapped 0.0.0.0', '00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
    ['IPv4-compatible: dotted', '00000000000000000000000001020304', '::1.2.3.4'],
    ['IPv4-compatible with a zero last group', '00000000000000000000000000010000', '::0.1.0.0'],
    ['::2 is no IPv4 (seven zero groups)', '00000000000000000000000000000002', '::2'],
    ['ffff after five zeros only', '00000000000000000001000000000000', '::1:0:0:0'],
    ['fffe is no mapping', '00000000000000000000fffe01020304', '::fffe:102:304'],
    ['a link-local address', 'fe800000000000000000000000000001', 'fe80::1'],
  ])('%s', (_name, hex, text) => {
    expect(ipv6Text(Buffer.from(hex, 'hex'))).toBe(text);
  });
});

describe('ipv4Text', () => {
  it('writes four octets in decimal', () => {
    expect(ipv4Text(Buffer.from([203, 0, 113, 7]))).toBe('203.0.113.7');
  });
});
