// --proxy-protocol and --proxy-allow-from: Gunicorn 27's defaults, words and checks, and one exact
// message per bad value.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../app/src/config';

function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`parseConfig(${JSON.stringify(argv)}) did not throw`);
}

describe('--proxy-protocol', () => {
  it.each([
    ['off by default', [], 'off'],
    ['given without a value: auto, as Gunicorn', ['--proxy-protocol'], 'auto'],
    ['given without a value before another option', ['--proxy-protocol', '--workers', '2'], 'auto'],
    ['v1 as the next word', ['--proxy-protocol', 'v1'], 'v1'],
    ['v1 after =', ['--proxy-protocol=v1'], 'v1'],
    ['v2', ['--proxy-protocol', 'v2'], 'v2'],
    ['Gunicorn\'s true is auto', ['--proxy-protocol=true'], 'auto'],
    ['Gunicorn\'s 1 is auto', ['--proxy-protocol', '1'], 'auto'],
    ['Gunicorn\'s none is off', ['--proxy-protocol', 'none'], 'off'],
    ['upper case and blanks, as Gunicorn lower-cases and strips', ['--proxy-protocol= V1 '], 'v1'],
  ])('%s', (_name, argv, mode) => {
    expect(parseConfig(argv, {}).proxyProtocol.mode).toBe(mode);
  });

  it('is read from GUNICORN_CMD_ARGS too', () => {
    const config = parseConfig([], { GUNICORN_CMD_ARGS: '--proxy-protocol --proxy-allow-from 172.16.0.0/12' });
    expect(config.proxyProtocol).toEqual({ mode: 'auto', allowFrom: ['172.16.0.0/12'] });
  });

  it.each([
    ['an unknown word', ['--proxy-protocol=v3'], '--proxy-protocol: "v3" is not one of off, v1, v2, auto (or Gunicorn\'s true, false, 1, 0, none)'],
    ['a name every object has', ['--proxy-protocol=constructor'], '--proxy-protocol: "constructor" is not one of off, v1, v2, auto (or Gunicorn\'s true, false, 1, 0, none)'],
  ])('refuses %s, naming the option and the value', (_name, argv, message) => {
    expect(errorOf(argv)).toBe(message);
  });
});

describe('--proxy-allow-from', () => {
  it.each([
    ['Gunicorn\'s default: this host only', [], ['127.0.0.1', '::1']],
    ['networks and addresses, blanks stripped', ['--proxy-allow-from', '10.0.0.0/8, 2001:db8::/32,192.0.2.7'], ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']],
    ['any peer', ['--proxy-allow-from', '*'], ['*']],
    ['empty: no peer', ['--proxy-allow-from='], []],
  ])('%s', (_name, argv, allowFrom) => {
    expect(parseConfig(argv, {}).proxyProtocol.allowFrom).toEqual(allowFrom);
  });

  it.each([
    ['host bits set', '10.0.0.1/8', '--proxy-allow-from: "10.0.0.1/8" has "10.0.0.1/8", which has host bits set'],
    ['a host name', '127.0.0.1,haproxy', '--proxy-allow-from: "127.0.0.1,haproxy" has "haproxy", which is not an IP address or network'],
    ['a prefix too long', '10.0.0.0/33', '--proxy-allow-from: "10.0.0.0/33" has "10.0.0.0/33", which has prefix length "33", not in 0..32'],
    ['an IPv6 prefix too long', '::/129', '--proxy-allow-from: "::/129" has "::/129", which has prefix length "129", not in 0..128'],
    ['a netmask', '10.0.0.0/255.0.0.0', '--proxy-allow-from: "10.0.0.0/255.0.0.0" has "10.0.0.0/255.0.0.0", which has prefix length "255.0.0.0", not in 0..32'],
  ])('refuses %s at start-up, naming the option and the value', (_name, value, message) => {
    expect(errorOf(['--proxy-allow-from', value])).toBe(message);
  });

  it('names GUNICORN_CMD_ARGS when the bad value came from there', () => {
    expect(errorOf([], { GUNICORN_CMD_ARGS: '--proxy-allow-from nope' }))
      .toBe('--proxy-allow-from (in GUNICORN_CMD_ARGS): "nope" has "nope", which is not an IP address or network');
  });
});
