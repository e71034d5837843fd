// The v1 line judged as Gunicorn 27 judges it: each row a case, with Gunicorn's exact message.
import { describe, expect, it } from 'vitest';
import { judgeConnectionStart, MAX_LINE_BYTES, parseV1Line } from '../../../app/src/proxy-protocol/header';
import { pythonRepr } from '../../../app/src/proxy-protocol/python-repr';

describe('parseV1Line', () => {
  it.each([
    ['TCP4', 'PROXY TCP4 203.0.113.7 10.0.0.2 51234 8000', { protocol: 'TCP4', clientAddress: '203.0.113.7', clientPort: 51234, proxyAddress: '10.0.0.2', proxyPort: 8000 }],
    ['TCP6', 'PROXY TCP6 2001:db8::7 ::1 1 65535', { protocol: 'TCP6', clientAddress: '2001:db8::7', clientPort: 1, proxyAddress: '::1', proxyPort: 65535 }],
    ['IPv4-mapped TCP6', 'PROXY TCP6 ::ffff:192.0.2.1 ::1 0 80', { protocol: 'TCP6', clientAddress: '::ffff:192.0.2.1', clientPort: 0, proxyAddress: '::1', proxyPort: 80 }],
    ['ports as Python int() reads them', 'PROXY TCP4 1.2.3.4 5.6.7.8 +8_0 -0', { protocol: 'TCP4', clientAddress: '1.2.3.4', clientPort: 80, proxyAddress: '5.6.7.8', proxyPort: 0 }],
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
});

describe('judgeConnectionStart', () => {
  const everyone = () => true;
  const nobody = () => false;
  const bytes = (text: string) => Buffer.from(text, 'latin1');

  it.each([
    ['fewer than 12 bytes: waits, as Gunicorn', 'PROXY TCP4 ', everyone, 'need-more'],
    ['a plain request', 'GET / HTTP/1.1\r\n\r\n', everyone, 'absent'],
    ['"PROXY" without its blank is no header', 'PROXYTCP4 1.2.3.4\r\n', everyone, 'absent'],
    ['a header without its CRLF yet', 'PROXY TCP4 1.2.3.4 5.6.7.8 1', everyone, 'need-more'],
    ['a header from a peer not allowed, refused before its line is complete', 'PROXY TCP4 1.2.3', nobody, 'refused'],
  ])('%s', (_name, text, allows, kind) => {
    expect(judgeConnectionStart(bytes(text), '127.0.0.1', allows).kind).toBe(kind);
  });

  it('hands over what follows the header', () => {
    const verdict = judgeConnectionStart(bytes('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\n\r\n'), '127.0.0.1', everyone);
    expect(verdict.kind === 'proxied' && verdict.rest.toString('latin1')).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('names the peer in a refusal', () => {
    const verdict = judgeConnectionStart(bytes('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), '10.1.2.3', nobody);
    expect(verdict.kind === 'refused' && verdict.error.message).toBe("Proxy request from '10.1.2.3' not allowed");
  });

  it(`refuses a line with no CRLF in ${MAX_LINE_BYTES} bytes instead of buffering without end`, () => {
    const verdict = judgeConnectionStart(bytes(`PROXY ${'x'.repeat(MAX_LINE_BYTES)}`), '127.0.0.1', everyone);
    expect(verdict.kind).toBe('refused');
  });
});
