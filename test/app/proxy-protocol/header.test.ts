// The start of a connection and the v1 line judged as Gunicorn 27 judges them: each row a case,
// with Gunicorn's exact message.
import { describe, expect, it } from 'vitest';
import { judgeConnectionStart, MAX_LINE_BYTES, parseV1Line } from '../../../app/src/proxy-protocol/header';
import { pythonRepr } from '../../../app/src/proxy-protocol/python-repr';

describe('parseV1Line', () => {
  it.each([
    ['TCP4', 'PROXY TCP4 203.0.113.7 10.0.0.2 51234 8000', { protocol: 'TCP4', clientAddress: '203.0.113.7', clientPort: 51234, proxyAddress: '10.0.0.2', proxyPort: 8000 }],
    ['TCP6', 'PROXY TCP6 2001:db8::7 ::1 1 65535', { protocol: 'TCP6', clientAddress: '2001:db8::7', clientPort: 1, proxyAddress: '::1', proxyPort: 65535 }],
    ['IPv4-mapped TCP6', 'PROXY TCP6 ::ffff:192.0.2.1 ::1 0 80', { protocol: 'TCP6', clientAddress: '::ffff:192.0.2.1', clientPort: 0, proxyAddress: '::1', proxyPort: 80 }],
    ['ports as Python int() reads them', 'PROXY TCP4 1.2.3.4 5.6.7.8 +8_0 -0', { protocol: 'TCP4', clientAddress: '1.2.3.4', clientPort: 80, proxyAddress: '5.6.7.8', proxyPort: 0 }],
    ['a port of 4,300 digits, underscores and a sign not counted', `PROXY TCP4 1.2.3.4 5.6.7.8 +${'0'.repeat(4298)}_8_0 2`, { protocol: 'TCP4', clientAddress: '1.2.3.4', clientPort: 80, proxyAddress: '5.6.7.8', proxyPort: 2 }],
  ])('reads %s', (_name, line, addresses) => {
    expect(parseV1Line(line)).toEqual(addresses);
  });

  it.each([
    ['five fields', 'PROXY TCP4 1.2.3.4 5.6.7.8 1', "Invalid PROXY line: 'PROXY TCP4 1.2.3.4 5.6.7.8 1'"],
    ['two blanks', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2', "Invalid PROXY line: 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2'"],
    ['UNKNOWN', 'PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2', 'Invalid PROXY line: "protocol \'UNKNOWN\' not supported"'],
    ['a lower-case protocol', 'PROXY tcp4 1.2.3.4 5.6.7.8 1 2', 'Invalid PROXY line: "protocol \'tcp4\' not supported"'],
    ['an IPv4 octet with a leading zero', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2', "Invalid PROXY line: 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2'"],
    ['an IPv6 address as TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2', "Invalid PROXY line: 'PROXY TCP4 ::1 5.6.7.8 1 2'"],
    ['a zone index, which inet_pton refuses', 'PROXY TCP6 fe80::1%eth0 ::1 1 2', "Invalid PROXY line: 'PROXY TCP6 fe80::1%eth0 ::1 1 2'"],
    ['a port above 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 65536', "Invalid PROXY line: 'invalid port PROXY TCP4 1.2.3.4 5.6.7.8 1 65536'"],
    ['a negative port', 'PROXY TCP4 1.2.3.4 5.6.7.8 -1 2', "Invalid PROXY line: 'invalid port PROXY TCP4 1.2.3.4 5.6.7.8 -1 2'"],
    ['a port with a double underscore', 'PROXY TCP4 1.2.3.4 5.6.7.8 8__0 2', "Invalid PROXY line: 'invalid port PROXY TCP4 1.2.3.4 5.6.7.8 8__0 2'"],
    ['a hex port', 'PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2', "Invalid PROXY line: 'invalid port PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2'"],
    ['a port of 4,301 digits, more than Python\'s int() converts', `PROXY TCP4 1.2.3.4 5.6.7.8 ${'0'.repeat(4300)}1 2`, `Invalid PROXY line: 'invalid port PROXY TCP4 1.2.3.4 5.6.7.8 ${'0'.repeat(4300)}1 2'`],
  ])('refuses %s with Gunicorn\'s message', (_name, line, message) => {
    expect(() => parseV1Line(line)).toThrow(message);
  });
});

describe('pythonRepr', () => {
  it.each([
    ['plain', 'abc', "'abc'"],
    ['a single quote: double quotes', "a'b", '"a\'b"'],
    ['both quotes: single, escaped', 'a\'b"c', "'a\\'b\"c'"],
    ['control characters', '\x01\t\n\r\x7f', "'\\x01\\t\\n\\r\\x7f'"],
    ['a backslash', 'a\\b', "'a\\\\b'"],
    ['latin-1: NBSP and soft hyphen escaped, é kept', '\xa0\xad\xe9', "'\\xa0\\xad\xe9'"],
  ])('%s', (_name, text, repr) => {
    expect(pythonRepr(text)).toBe(repr);
  });

  it('escapes every latin-1 character as Python 3.11 does (its repr() printed the expected text)', () => {
    const all = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join('');
    expect(pythonRepr(all)).toBe("'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#$%&\\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\x7f\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\x8a\\x8b\\x8c\\x8d\\x8e\\x8f\\x90\\x91\\x92\\x93\\x94\\x95\\x96\\x97\\x98\\x99\\x9a\\x9b\\x9c\\x9d\\x9e\\x9f\\xa0\u00a1\u00a2\u00a3\u00a4\u00a5\u00a6\u00a7\u00a8\u00a9\u00aa\u00ab\u00ac\\xad\u00ae\u00af\u00b0\u00b1\u00b2\u00b3\u00b4\u00b5\u00b6\u00b7\u00b8\u00b9\u00ba\u00bb\u00bc\u00bd\u00be\u00bf\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf\u00d0\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d7\u00d8\u00d9\u00da\u00db\u00dc\u00dd\u00de\u00df\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u00f0\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f7\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00fe\u00ff'");
  });
});

describe('judgeConnectionStart', () => {
  const everyone = () => true;
  const nobody = () => false;
  const bytes = (text: string) => Buffer.from(text, 'latin1');
  const V2_LOCAL = '\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00';

  it.each([
    ['fewer than 12 bytes: waits, as Gunicorn', 'auto', 'PROXY TCP4 ', everyone, 'need-more'],
    ['a plain request', 'auto', 'GET / HTTP/1.1\r\n\r\n', everyone, 'absent'],
    ['"PROXY" without its blank is no header', 'auto', 'PROXYTCP4 1.2.3.4\r\n', everyone, 'absent'],
    ['a header without its CRLF yet', 'auto', 'PROXY TCP4 1.2.3.4 5.6.7.8 1', everyone, 'need-more'],
    ['a header from a peer not allowed, refused before its line is complete', 'auto', 'PROXY TCP4 1.2.3', nobody, 'refused'],
    ['a v1 line where only v2 is read: no header, for the HTTP parser', 'v2', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n', everyone, 'absent'],
    ['a v2 header in auto', 'auto', V2_LOCAL, everyone, 'proxied'],
    ['a v2 header in v2', 'v2', V2_LOCAL, everyone, 'proxied'],
    ['a v2 header where only v1 is read: no header, for the HTTP parser', 'v1', V2_LOCAL, everyone, 'absent'],
    ['a v2 header from a peer not allowed, refused on its signature alone', 'auto', V2_LOCAL.slice(0, 12), nobody, 'refused'],
    ['a v2 signature and no more: waits for the rest', 'auto', V2_LOCAL.slice(0, 12), everyone, 'need-more'],
  ] as const)('%s', (_name, mode, text, allows, kind) => {
    expect(judgeConnectionStart(bytes(text), '127.0.0.1', allows, mode).kind).toBe(kind);
  });

  it('hands over what follows the header', () => {
    const verdict = judgeConnectionStart(bytes('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\n\r\n'), '127.0.0.1', everyone, 'auto');
    expect(verdict.kind === 'proxied' && verdict.rest.toString('latin1')).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('names the peer in a refusal', () => {
    const verdict = judgeConnectionStart(bytes('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), '10.1.2.3', nobody, 'auto');
    expect(verdict.kind === 'refused' && verdict.error.message).toBe("Proxy request from '10.1.2.3' not allowed");
  });

  it('reads a line longer than one read, as Gunicorn reads it to its CRLF', () => {
    const line = `PROXY TCP4 1.2.3.4 5.6.7.8 1 ${'\t'.repeat(100_000)}2`;
    expect(judgeConnectionStart(bytes(line), '127.0.0.1', everyone, 'v1').kind).toBe('need-more');
    const verdict = judgeConnectionStart(bytes(`${line}\r\n`), '127.0.0.1', everyone, 'v1', line.length);
    expect(verdict.kind === 'proxied' && verdict.addresses.proxyPort).toBe(2);
  });

  it('finds a CRLF split between two reads', () => {
    const verdict = judgeConnectionStart(bytes('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), '127.0.0.1', everyone, 'v1', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r'.length);
    expect(verdict.kind).toBe('proxied');
  });

  it(`refuses a line still without its CRLF at ${MAX_LINE_BYTES} bytes instead of buffering without end`, () => {
    const text = `PROXY ${'x'.repeat(MAX_LINE_BYTES - 6)}`;
    expect(judgeConnectionStart(bytes(text.slice(0, -1)), '127.0.0.1', everyone, 'auto').kind).toBe('need-more');
    const verdict = judgeConnectionStart(bytes(text), '127.0.0.1', everyone, 'auto');
    expect(verdict.kind === 'refused' && verdict.error.message).toBe(`Invalid PROXY line: ${pythonRepr(text)}`);
  });
});
