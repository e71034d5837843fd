// Options + environment → Config: defaults, Gunicorn's env fallbacks, and one exact message per bad input.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatAddress, helpText, isHelpRequested, parseConfig, splitShellWords, type Config } from '../../app/src/config';

const NO_ENV = {};

function errorOf(argv: string[], env: Record<string, string | undefined> = NO_ENV): ConfigError {
  try {
    parseConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parseConfig(${JSON.stringify(argv)}) did not throw`);
}

describe('defaults (Gunicorn\'s where it has the option)', () => {
  const config = parseConfig([], NO_ENV);

  it.each([
    ['bind 127.0.0.1:8000', config.binds, [{ host: '127.0.0.1', port: 8000 }]],
    ['1 worker', config.workers, 1],
    ['timeout 30 s', config.timeoutSeconds, 30],
    ['graceful timeout 30 s', config.gracefulTimeoutSeconds, 30],
    ['metrics off', config.statsd.target, null],
    ['empty prefix', config.statsd.prefix, ''],
    ['no tags', config.statsd.tags, ''],
    ['packing buffer, chosen by the benchmark', config.statsd.packing, 'buffer'],
    ['no access log', config.accessLogfile, null],
    ['log level info', config.logLevel, 'info'],
    ['runtime metrics listener off', config.metricsBind, null],
    ['demo delays unscaled', config.demoDelayScale, 1],
    ['no --check-config', config.checkConfig, false],
    ['no backlog metric', config.enableBacklogMetric, false],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.statsd)).toBe(true);
    expect(Object.isFrozen(config.binds)).toBe(true);
    expect(Object.isFrozen(config.binds[0])).toBe(true);
  });
});

describe('options', () => {
  it('reads every option, in both --opt value and --opt=value forms', () => {
    const config = parseConfig([
      '--bind', '0.0.0.0:8000', '--bind=[::1]:8001', '--workers=3', '--timeout', '5', '--graceful-timeout=0.5',
      '--statsd-host', 'statsd-exporter:9125', '--statsd-prefix=flask_app', '--dogstatsd-tags', 'env:prod,app:flask',
      '--statsd-packing', 'buffer', '--access-logfile', '-', '--log-level', 'WARNING',
      '--metrics-bind=127.0.0.1:9464', '--demo-delay-scale', '0.01', '--check-config', '--enable-backlog-metric',
      '--proxy-protocol', 'v1', '--proxy-allow-from=10.0.0.0/8',
    ], NO_ENV);
    expect(config).toEqual({
      binds: [{ host: '0.0.0.0', port: 8000 }, { host: '::1', port: 8001 }],
      workers: 3,
      timeoutSeconds: 5,
      gracefulTimeoutSeconds: 0.5,
      statsd: {
        target: { host: 'statsd-exporter', port: 9125 },
        prefix: 'flask_app.',
        tags: 'env:prod,app:flask',
        packing: 'buffer',
      },
      accessLogfile: '-',
      logLevel: 'warning',
      metricsBind: { host: '127.0.0.1', port: 9464 },
      demoDelayScale: 0.01,
      checkConfig: true,
      enableBacklogMetric: true,
      proxyProtocol: { mode: 'v1', allowFrom: ['10.0.0.0/8'] },
    });
  });

  it.each([
    ['short -b -w -t like Gunicorn', ['-b', '127.0.0.1:9000', '-w', '2', '-t', '7'], (c: ReturnType<typeof parseConfig>) =>
      [c.binds[0].port, c.workers, c.timeoutSeconds], [9000, 2, 7]],
    ['the last of a repeated option wins', ['--workers', '2', '--workers', '5'], (c: ReturnType<typeof parseConfig>) => c.workers, 5],
    ['timeout 0 disables the timeout (Gunicorn)', ['--timeout', '0'], (c: ReturnType<typeof parseConfig>) => c.timeoutSeconds, 0],
    ['prefix is normalised: "flask_app.." → "flask_app."', ['--statsd-prefix', 'flask_app..'],
      (c: ReturnType<typeof parseConfig>) => c.statsd.prefix, 'flask_app.'],
    ['prefix quirk kept: "x" → "x"', ['--statsd-prefix', 'x'], (c: ReturnType<typeof parseConfig>) => c.statsd.prefix, 'x'],
    ['tag values may contain ":"', ['--dogstatsd-tags', 'url:http://x'], (c: ReturnType<typeof parseConfig>) => c.statsd.tags, 'url:http://x'],
    ['tags are stripped as Gunicorn strips them', ['--dogstatsd-tags', ' \tinstance:web-1 \n'], (c: ReturnType<typeof parseConfig>) => c.statsd.tags, 'instance:web-1'],
    ['tags of blanks only are none', ['--dogstatsd-tags', '  '], (c: ReturnType<typeof parseConfig>) => c.statsd.tags, ''],
    ['IPv6 statsd host', ['--statsd-host', '[::1]:9125'], (c: ReturnType<typeof parseConfig>) => c.statsd.target, { host: '::1', port: 9125 }],
    ['--help is accepted (main checks isHelpRequested first)', ['--help'], (c: ReturnType<typeof parseConfig>) => c.workers, 1],
  ])('%s', (_name, argv, pick, expected) => {
    expect(pick(parseConfig(argv, NO_ENV))).toEqual(expected);
  });
});

describe('environment fallbacks (the original compose file\'s variables)', () => {
  it.each([
    ['WEB_CONCURRENCY sets the workers', [], { WEB_CONCURRENCY: '4' }, (c: ReturnType<typeof parseConfig>) => c.workers, 4],
    ['--workers beats WEB_CONCURRENCY', ['--workers', '2'], { WEB_CONCURRENCY: '4' }, (c: ReturnType<typeof parseConfig>) => c.workers, 2],
    ['an overridden WEB_CONCURRENCY is not validated', ['--workers', '2'], { WEB_CONCURRENCY: 'x' },
      (c: ReturnType<typeof parseConfig>) => c.workers, 2],
    ['empty WEB_CONCURRENCY counts as unset', [], { WEB_CONCURRENCY: '' }, (c: ReturnType<typeof parseConfig>) => c.workers, 1],
    ['APP_NAME is the prefix', [], { APP_NAME: 'flask_app' }, (c: ReturnType<typeof parseConfig>) => c.statsd.prefix, 'flask_app.'],
    ['--statsd-prefix beats APP_NAME', ['--statsd-prefix', 'svc.api'], { APP_NAME: 'flask_app' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.prefix, 'svc.api.'],
    ['--statsd-prefix "" beats APP_NAME', ['--statsd-prefix='], { APP_NAME: 'flask_app' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.prefix, ''],
    ['STATSD_HOST + STATSD_PORT make the target', [], { STATSD_HOST: 'statsd-exporter', STATSD_PORT: '9125' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.target, { host: 'statsd-exporter', port: 9125 }],
    ['STATSD_HOST alone uses StatsD\'s port 8125', [], { STATSD_HOST: 'statsd-exporter' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.target, { host: 'statsd-exporter', port: 8125 }],
    ['STATSD_HOST may be a bracketed IPv6 address', [], { STATSD_HOST: '[::1]', STATSD_PORT: '9125' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.target, { host: '::1', port: 9125 }],
    ['--statsd-host beats STATSD_HOST', ['--statsd-host', '127.0.0.1:9999'], { STATSD_HOST: 'statsd-exporter', STATSD_PORT: '9125' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.target, { host: '127.0.0.1', port: 9999 }],
    ['empty STATSD_HOST counts as unset: metrics off', [], { STATSD_HOST: '', STATSD_PORT: '' },
      (c: ReturnType<typeof parseConfig>) => c.statsd.target, null],
  ])('%s', (_name, argv, env, pick, expected) => {
    expect(pick(parseConfig(argv, env))).toEqual(expected);
  });
});

describe('bad input: one line naming the option (or variable) and the value', () => {
  it.each([
    ['bind port 0', ['--bind', '127.0.0.1:0'], {}, '--bind: "127.0.0.1:0" has port 0, not in 1..65535'],
    ['bind port 70000', ['--bind', '127.0.0.1:70000'], {}, '--bind: "127.0.0.1:70000" has port 70000, not in 1..65535'],
    ['bind port not a number', ['--bind', '127.0.0.1:http'], {}, '--bind: "127.0.0.1:http" has port "http", which is not a number'],
    ['bind without port', ['--bind', '127.0.0.1'], {}, '--bind: "127.0.0.1" has no port (expected HOST:PORT)'],
    ['bind with empty port', ['--bind', 'localhost:'], {}, '--bind: "localhost:" has no port (expected HOST:PORT)'],
    ['bind without host', ['--bind', ':8000'], {}, '--bind: ":8000" has no host (expected HOST:PORT)'],
    ['bind IPv6 without brackets', ['--bind', '::1:8000'], {},
      '--bind: "::1:8000" needs brackets around the IPv6 address (e.g. [::1]:8000)'],
    ['bind brackets around a non-IPv6', ['--bind', '[nope]:8000'], {},
      '--bind: "[nope]:8000" has "nope" in brackets, which is not an IPv6 address'],
    ['bind host with a space', ['-b', 'local host:8000'], {}, '-b: "local host:8000" has "local host", which is not a host name or IP address'],
    ['workers 0', ['--workers', '0'], {}, '--workers: "0" is not a positive integer'],
    ['workers abc', ['--workers', 'abc'], {}, '--workers: "abc" is not a positive integer'],
    ['workers -1', ['--workers', '-1'], {}, '--workers: "-1" is not a positive integer'],
    ['workers 1.5', ['-w', '1.5'], {}, '-w: "1.5" is not a positive integer'],
    ['workers empty via =', ['--workers='], {}, '--workers: "" is not a positive integer'],
    ['negative timeout', ['--timeout', '-5'], {}, '--timeout: "-5" is not a non-negative number of seconds'],
    ['negative graceful timeout', ['--graceful-timeout=-1'], {}, '--graceful-timeout: "-1" is not a non-negative number of seconds'],
    ['timeout beyond setTimeout', ['--timeout', '9999999'], {}, '--timeout: "9999999" is more than 2147483 seconds'],
    ['statsd-host without port', ['--statsd-host', 'statsd-exporter'], {},
      '--statsd-host: "statsd-exporter" has no port (expected HOST:PORT)'],
    ['statsd-host port 0', ['--statsd-host', 'localhost:0'], {}, '--statsd-host: "localhost:0" has port 0, not in 1..65535'],
    ['prefix with ":"', ['--statsd-prefix', 'a:b'], {}, '--statsd-prefix: "a:b" contains ":", which would corrupt the StatsD lines'],
    ['prefix with "|"', ['--statsd-prefix', 'a|b'], {}, '--statsd-prefix: "a|b" contains "|", which would corrupt the StatsD lines'],
    ['prefix with "#"', ['--statsd-prefix', 'a#b'], {}, '--statsd-prefix: "a#b" contains "#", which would corrupt the StatsD lines'],
    ['prefix with "@"', ['--statsd-prefix', 'a@b'], {}, '--statsd-prefix: "a@b" contains "@", which would corrupt the StatsD lines'],
    ['prefix with newline (shown escaped, message stays one line)', ['--statsd-prefix', 'a\nb'], {},
      '--statsd-prefix: "a\\nb" contains "\\n", which would corrupt the StatsD lines'],
    ['prefix with non-ASCII (Gunicorn encodes lines as ASCII)', ['--statsd-prefix', 'café'], {},
      '--statsd-prefix: "café" contains "é", which would corrupt the StatsD lines'],
    ['tags with "|"', ['--dogstatsd-tags', 'a:b|c'], {}, '--dogstatsd-tags: "a:b|c" contains "|", which would corrupt the StatsD lines'],
    ['tags with "#"', ['--dogstatsd-tags', 'a:#b'], {}, '--dogstatsd-tags: "a:#b" contains "#", which would corrupt the StatsD lines'],
    ['tags with newline', ['--dogstatsd-tags', 'a:b\nc:d'], {},
      '--dogstatsd-tags: "a:b\\nc:d" contains "\\n", which would corrupt the StatsD lines'],
    ['tag without value', ['--dogstatsd-tags', 'env:prod,debug'], {},
      '--dogstatsd-tags: "env:prod,debug" has tag "debug", which is not key:value'],
    ['tag with empty key', ['--dogstatsd-tags', ':prod'], {}, '--dogstatsd-tags: ":prod" has tag ":prod", which is not key:value'],
    ['instance tag of an empty hostname', ['--dogstatsd-tags', 'instance:'], {}, '--dogstatsd-tags: "instance:" has tag "instance:", which is not key:value'],
    ['trailing comma makes an empty tag', ['--dogstatsd-tags', 'a:b,'], {}, '--dogstatsd-tags: "a:b," has tag "", which is not key:value'],
    ['unknown packing', ['--statsd-packing', 'udp'], {}, '--statsd-packing: "udp" is not one of line, request, buffer'],
    ['unknown log level', ['--log-level', 'verbose'], {}, '--log-level: "verbose" is not one of debug, info, warning, error, critical'],
    ['empty access log path', ['--access-logfile='], {}, '--access-logfile: "" is empty'],
    ['metrics-bind port 70000', ['--metrics-bind', '127.0.0.1:70000'], {}, '--metrics-bind: "127.0.0.1:70000" has port 70000, not in 1..65535'],
    ['negative demo delay scale', ['--demo-delay-scale', '-1'], {}, '--demo-delay-scale: "-1" is not a non-negative factor'],
    ['unknown flag', ['--wokers', '2'], {}, '--wokers: unknown option (see --help)'],
    ['unknown flag with =', ['--statsd-hots=localhost:9125'], {}, '--statsd-hots: unknown option (see --help)'],
    ['positional argument (Gunicorn\'s APP_MODULE has no meaning here)', ['app:app'], {},
      '"app:app": unexpected argument; this app takes options only (see --help)'],
    ['flag missing its value at the end', ['--workers'], {}, '--workers: missing value (expected --workers N)'],
    ['flag followed by another flag', ['--statsd-host', '--workers', '2'], {},
      '--statsd-host: missing value (expected --statsd-host HOST:PORT)'],
    ['switch given a value', ['--check-config=yes'], {}, '--check-config: takes no value, got "yes"'],
    ['backlog switch given a value', ['--enable-backlog-metric=1'], {}, '--enable-backlog-metric: takes no value, got "1"'],
    ['bad instance tag in GUNICORN_CMD_ARGS (an unset hostname)', [], { GUNICORN_CMD_ARGS: '--dogstatsd-tags instance:' },
      '--dogstatsd-tags (in GUNICORN_CMD_ARGS): "instance:" has tag "instance:", which is not key:value'],
    ['bad value in GUNICORN_CMD_ARGS', [], { GUNICORN_CMD_ARGS: '--workers two' },
      '--workers (in GUNICORN_CMD_ARGS): "two" is not a positive integer'],
    ['backlog switch given a value in GUNICORN_CMD_ARGS', [], { GUNICORN_CMD_ARGS: '--enable-backlog-metric=yes' },
      'GUNICORN_CMD_ARGS: --enable-backlog-metric: takes no value, got "yes"'],
    ['unknown option in GUNICORN_CMD_ARGS', [], { GUNICORN_CMD_ARGS: '--enable-backlog' },
      'GUNICORN_CMD_ARGS: --enable-backlog: unknown option (see --help)'],
    ['unterminated quote in GUNICORN_CMD_ARGS', [], { GUNICORN_CMD_ARGS: "--statsd-prefix 'a b" },
      'GUNICORN_CMD_ARGS: "--statsd-prefix \'a b" has an unterminated \' quote'],
    ['WEB_CONCURRENCY not a number', [], { WEB_CONCURRENCY: 'x' }, 'WEB_CONCURRENCY: "x" is not a positive integer'],
    ['WEB_CONCURRENCY 0', [], { WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY: "0" is not a positive integer'],
    ['APP_NAME with "|"', [], { APP_NAME: 'flask|app' }, 'APP_NAME: "flask|app" contains "|", which would corrupt the StatsD lines'],
    ['STATSD_PORT 70000', [], { STATSD_HOST: 'exporter', STATSD_PORT: '70000' }, 'STATSD_PORT: "70000" has port 70000, not in 1..65535'],
    ['STATSD_PORT not a number', [], { STATSD_HOST: 'exporter', STATSD_PORT: 'abc' },
      'STATSD_PORT: "abc" has port "abc", which is not a number'],
    ['STATSD_PORT without STATSD_HOST', [], { STATSD_PORT: '9125' }, 'STATSD_PORT: "9125" is set but STATSD_HOST is not'],
    ['STATSD_HOST holding a port too', [], { STATSD_HOST: 'exporter:9125' },
      'STATSD_HOST: "exporter:9125" is not a host name or IP address (the port goes in STATSD_PORT)'],
    ['STATSD_HOST with a newline', [], { STATSD_HOST: 'exporter\n' }, 'STATSD_HOST: "exporter\\n" is not a host name or IP address'],
  ])('%s', (_name, argv, env, message) => {
    const error = errorOf(argv, env);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('--help', () => {
  it.each([
    ['--help', ['--help'], true],
    ['-h', ['-h'], true],
    ['--help among bad options still helps', ['--workers', 'abc', '--nope', '--help'], true],
    ['"-h" as the value of an option is not a help request', ['--access-logfile', 'x', '--statsd-prefix=-h'], false],
    ['no help', ['--workers', '2'], false],
  ])('isHelpRequested: %s', (_name, argv, expected) => {
    expect(isHelpRequested(argv)).toBe(expected);
  });

  it('lists every option with its default', () => {
    const text = helpText();
    for (const option of [
      '--bind', '--workers', '--timeout', '--graceful-timeout', '--statsd-host', '--statsd-prefix', '--dogstatsd-tags',
      '--statsd-packing', '--access-logfile', '--log-level', '--metrics-bind',
      '--demo-delay-scale', '--enable-backlog-metric', '--check-config', '--help',
    ]) {
      const line = text.split('\n').find((candidate) => candidate.includes(` ${option} `) || candidate.endsWith(` ${option}`)
        || candidate.includes(` ${option}  `));
      expect(line, option).toBeDefined();
      if (option !== '--help') expect(line, option).toMatch(/\[default: .+\]$/);
    }
    expect(text).toContain('[default: 127.0.0.1:8000]');
    expect(text).toContain('WEB_CONCURRENCY');
  });
});

describe('formatAddress', () => {
  it.each([
    ['IPv4', { host: '127.0.0.1', port: 8000 }, '127.0.0.1:8000'],
    ['IPv6 in brackets', { host: '::1', port: 8000 }, '[::1]:8000'],
    ['name', { host: 'localhost', port: 9125 }, 'localhost:9125'],
  ])('%s', (_name, address, expected) => {
    expect(formatAddress(address)).toBe(expected);
  });
});

describe('GUNICORN_CMD_ARGS (read before the command line, as Gunicorn does)', () => {
  it.each([
    ['a switch', { GUNICORN_CMD_ARGS: '--enable-backlog-metric' }, [], (c: Config) => c.enableBacklogMetric, true],
    ['several options, split like a shell', { GUNICORN_CMD_ARGS: '--workers 3  --statsd-prefix "svc app"' }, [],
      (c: Config) => [c.workers, c.statsd.prefix], [3, 'svc app.']],
    ['single quotes keep backslashes', { GUNICORN_CMD_ARGS: "--access-logfile 'C:\\logs'" }, [],
      (c: Config) => c.accessLogfile, 'C:\\logs'],
    ['the command line wins', { GUNICORN_CMD_ARGS: '--workers 3' }, ['--workers', '5'], (c: Config) => c.workers, 5],
    ['binds on the command line replace its binds', { GUNICORN_CMD_ARGS: '--bind 127.0.0.1:1 --bind 127.0.0.1:2' },
      ['--bind', '127.0.0.1:3'], (c: Config) => c.binds, [{ host: '127.0.0.1', port: 3 }]],
    ['its binds stand when the command line has none', { GUNICORN_CMD_ARGS: '--bind 127.0.0.1:1 --bind=127.0.0.1:2' }, [],
      (c: Config) => c.binds.map((b) => b.port), [1, 2]],
    ['empty counts as unset', { GUNICORN_CMD_ARGS: '' }, [], (c: Config) => c.workers, 1],
  ])('%s', (_name, env, argv, read, expected) => {
    expect(read(parseConfig(argv, env))).toEqual(expected);
  });

  it.each([
    ['plain words', 'a b  c', ['a', 'b', 'c']],
    ['double quotes join and unescape', '"a \\"b\\"" c', ['a "b"', 'c']],
    ['quotes inside a word', '--x="a b"c', ['--x=a bc']],
    ['an empty quoted word', "'' x", ['', 'x']],
    ['a backslash escapes a blank', 'a\\ b', ['a b']],
  ])('splitShellWords: %s', (_name, text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });
});
