// Gunicorn's line format, pinned byte for byte: prefix normalisation, duration digits, each line builder.
import { describe, expect, it } from 'vitest';
import {
  backlogLine, durationLine, formatMilliseconds, logLine, normalisePrefix, pythonFloatRepr, requestsLine, statusLine, tagsSuffix,
  workersLine,
} from '../../../app/src/statsd/lines';

// Every expected value below was computed once by Python 3.11 itself and pasted here, e.g.
//   python3 -c 'from re import sub; print(repr(sub(r"^(.+[^.]+)\.*$", "\\g<1>.", "flask_app..")))'
//   python3 -c 'from datetime import timedelta as T; t=T(microseconds=1016036); print(repr(t.seconds*1000+float(t.microseconds)/10**3))'

describe('normalisePrefix: Gunicorn\'s re.sub(r"^(.+[^.]+)\\.*$", r"\\g<1>.", prefix)', () => {
  it.each([
    ['empty prefix stays empty (lines start with "gunicorn.")', '', ''],
    ['one character gets no dot (the regex needs two)', 'x', 'x'],
    ['plain name gets one dot', 'flask_app', 'flask_app.'],
    ['one trailing dot is kept', 'flask_app.', 'flask_app.'],
    ['several trailing dots collapse to one', 'flask_app..', 'flask_app.'],
    ['dotted prefix with trailing dot is unchanged', 'svc.flask_app.', 'svc.flask_app.'],
    ['two characters get a dot', 'ab', 'ab.'],
    ['leading dot is kept', '.a', '.a.'],
    ['lone dot is unchanged', '.', '.'],
    ['only dots are unchanged', '..', '..'],
    ['one character plus dots is unchanged (quirk)', 'x..', 'x..'],
    ['inner dots are kept, trailing collapse', 'a..b..', 'a..b.'],
    // Characters config rejects, pinned anyway to show the JavaScript regex is Python's.
    ['newline at the end (Python `$` before a final newline)', 'a\n', 'a\n.'],
    ['dot then newline', 'a.\n', 'a.\n.'],
    ['newline inside', 'a\nb', 'a\nb.'],
    ['lone newline', '\n', '\n'],
    ['carriage return (Python `.` matches it, JavaScript `.` does not)', 'a\r.', 'a\r.'],
  ])('%s: %j → %j', (_name, raw, expected) => {
    expect(normalisePrefix(raw)).toBe(expected);
  });

  it('is idempotent, so normalising twice is harmless', () => {
    for (const raw of ['', 'x', 'flask_app', 'flask_app..', 'svc.flask_app.', '..', 'x..']) {
      expect(normalisePrefix(normalisePrefix(raw))).toBe(normalisePrefix(raw));
    }
  });
});

describe('formatMilliseconds: timedelta.seconds*1000 + microseconds/1000, printed as Python repr', () => {
  const µs = (microseconds: number) => BigInt(microseconds) * 1000n;
  it.each([
    ['whole millisecond keeps ".0"', µs(1000), '1.0'],
    ['two decimals', µs(2490), '2.49'],
    ['below one millisecond', µs(160), '0.16'],
    ['three decimals', µs(205_903), '205.903'],
    ['float noise above one second is real output', µs(1_016_036), '1016.0360000000001'],
    ['one microsecond', µs(1), '0.001'],
    ['zero', 0n, '0.0'],
    ['just under a millisecond', µs(999), '0.999'],
    ['whole seconds keep ".0"', µs(2_000_000), '2000.0'],
    ['ten microseconds', µs(10), '0.01'],
    ['minutes', µs(123_456_789), '123456.789'],
    ['one microsecond under a day', µs(86_399_999_999), '86399999.999'],
    ['seconds and microseconds', µs(5_000_123), '5000.123'],
    ['seconds and one microsecond', µs(3_000_001), '3000.001'],
    ['one microsecond under two seconds', µs(1_999_999), '1999.999'],
    ['nanoseconds are truncated, not rounded', µs(2490) + 999n, '2.49'],
    ['under a microsecond is zero', 999n, '0.0'],
    ['a day wraps to zero (timedelta.seconds excludes days)', µs(86_400_000_000), '0.0'],
    ['negative (never from a monotonic clock) is zero', -5n, '0.0'],
  ])('%s', (_name, nanoseconds, expected) => {
    expect(formatMilliseconds(nanoseconds)).toBe(expected);
  });

  it('below one second, every microsecond count prints as Python repr(float) of the same arithmetic', () => {
    const mismatches: string[] = [];
    for (let microseconds = 0; microseconds < 1_000_000; microseconds += 1) {
      const expected = pythonFloatRepr(0 * 1000 + microseconds / 1000);
      const got = formatMilliseconds(BigInt(microseconds) * 1000n);
      if (got !== expected && mismatches.length < 5) mismatches.push(`${microseconds} µs: ${got} != ${expected}`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('pythonFloatRepr: Python repr(float) outside the duration range too', () => {
  it.each([
    ['1e16 switches to an exponent', 1e16, '1e+16'],
    ['small numbers get a two-digit exponent', 1.5e-5, '1.5e-05'],
    ['1e-4 is still fixed', 0.0001, '0.0001'],
    ['15 significant digits fixed', 123456789012345.6, '123456789012345.6'],
    ['large exponent', 1e22, '1e+22'],
    ['classic noise', 0.1 + 0.2, '0.30000000000000004'],
    ['smallest subnormal', 5e-324, '5e-324'],
    ['largest double', 1.7976931348623157e308, '1.7976931348623157e+308'],
    ['whole number', 100, '100.0'],
    ['17 digits', 12345678901234567, '1.2345678901234568e+16'],
    ['negative', -2.5, '-2.5'],
  ])('%s', (_name, value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe('line builders: each line Gunicorn sends, byte for byte', () => {
  const noTags = tagsSuffix('');
  const tags = tagsSuffix('env:prod,app:flask');

  it.each([
    ['duration', durationLine('flask_app.', noTags, 2_490_000n), 'flask_app.gunicorn.request.duration:2.49|ms'],
    ['requests', requestsLine('flask_app.', noTags), 'flask_app.gunicorn.requests:1|c|@1.0'],
    ['status', statusLine('flask_app.', noTags, 200), 'flask_app.gunicorn.request.status.200:1|c|@1.0'],
    ['workers', workersLine('flask_app.', noTags, 4), 'flask_app.gunicorn.workers:4|g'],
    ['backlog (a histogram line, as Gunicorn sends it)', backlogLine('flask_app.', noTags, 8), 'flask_app.gunicorn.backlog:8|h'],
    ['log.critical', logLine('flask_app.', noTags, 'critical'), 'flask_app.gunicorn.log.critical:1|c|@1.0'],
    ['log.error', logLine('flask_app.', noTags, 'error'), 'flask_app.gunicorn.log.error:1|c|@1.0'],
    ['log.warning', logLine('flask_app.', noTags, 'warning'), 'flask_app.gunicorn.log.warning:1|c|@1.0'],
    ['log.exception', logLine('flask_app.', noTags, 'exception'), 'flask_app.gunicorn.log.exception:1|c|@1.0'],
    ['empty prefix', requestsLine('', noTags), 'gunicorn.requests:1|c|@1.0'],
    ['one-character prefix quirk', requestsLine(normalisePrefix('x'), noTags), 'xgunicorn.requests:1|c|@1.0'],
    ['duration with tags', durationLine('flask_app.', tags, 1_016_036_000n),
      'flask_app.gunicorn.request.duration:1016.0360000000001|ms|#env:prod,app:flask'],
    ['requests with tags', requestsLine('flask_app.', tags), 'flask_app.gunicorn.requests:1|c|@1.0|#env:prod,app:flask'],
    ['status with tags', statusLine('flask_app.', tags, 503), 'flask_app.gunicorn.request.status.503:1|c|@1.0|#env:prod,app:flask'],
    ['workers with tags', workersLine('flask_app.', tags, 2), 'flask_app.gunicorn.workers:2|g|#env:prod,app:flask'],
    ['backlog with tags', backlogLine('flask_app.', tags, 0), 'flask_app.gunicorn.backlog:0|h|#env:prod,app:flask'],
    ['log with tags', logLine('flask_app.', tags, 'warning'), 'flask_app.gunicorn.log.warning:1|c|@1.0|#env:prod,app:flask'],
  ])('%s', (_name, line, expected) => {
    expect(line).toBe(expected);
  });

  it('tagsSuffix is empty without tags and "|#" + tags verbatim with them', () => {
    expect(tagsSuffix('')).toBe('');
    expect(tagsSuffix('a:b')).toBe('|#a:b');
  });
});
