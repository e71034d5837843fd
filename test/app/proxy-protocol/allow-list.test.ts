// --proxy-allow-from matching, as Python's ipaddress: networks, addresses, '*', and an IPv4 peer
// never matching an IPv6 network (an IPv4-mapped peer included).
import { describe, expect, it } from 'vitest';
import { createAllowList } from '../../../app/src/proxy-protocol/allow-list';

describe('createAllowList().allows', () => {
  it.each([
    ['an address in a /8', ['10.0.0.0/8'], '10.200.3.4', true],
    ['an address outside it', ['10.0.0.0/8'], '11.0.0.1', false],
    ['a single address', ['192.0.2.7'], '192.0.2.7', true],
    ['its neighbour', ['192.0.2.7'], '192.0.2.8', false],
    ['IPv6 in a /32', ['2001:db8::/32'], '2001:db8:ffff::1', true],
    ['IPv6 outside it', ['2001:db8::/32'], '2001:db9::1', false],
    ['::1 written out', ['::1'], '0:0:0:0:0:0:0:1', true],
    ['an IPv4-mapped peer against an IPv4 network: no, as in Python', ['127.0.0.1'], '::ffff:127.0.0.1', false],
    ['an IPv4-mapped peer against its IPv6 network', ['::ffff:0:0/96'], '::ffff:127.0.0.1', true],
    ['any peer with *', ['*'], '198.51.100.1', true],
    ['no entries: nobody', [], '127.0.0.1', false],
    ['the whole IPv4 space', ['0.0.0.0/0'], '203.0.113.9', true],
    ['the Docker default bridge range', ['172.16.0.0/12'], '172.18.0.5', true],
  ])('%s', (_name, entries, peer, allowed) => {
    expect(createAllowList(entries).allows(peer)).toBe(allowed);
  });
});
