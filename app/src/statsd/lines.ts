// Gunicorn's StatsD lines, byte for byte: the prefix as Gunicorn normalises it, the request
// duration as Python prints it, and one builder per line Gunicorn sends. Pure.
//
// Mirrors gunicorn/instrument/statsd.py (27.0.1):
//   prefix    = re.sub(r"^(.+[^.]+)\.*$", r"\g<1>.", cfg.statsd_prefix)
//   timer     : "{prefix}{name}:{value}|ms"     (request.duration is sent with timer(), not histogram(), which is |h)
//   increment : "{prefix}{name}:{value}|c|@{sampling_rate}"   sampling_rate is always 1.0
//   gauge     : "{prefix}{name}:{value}|g"
//   histogram : "{prefix}{name}:{value}|h"      (only gunicorn.backlog, an integer)
//   _sock_send: appends b"|#" + dogstatsd_tags when tags are set
//   access()  : duration_in_ms = request_time.seconds * 1000 + float(request_time.microseconds) / 10 ** 3

/** The server log levels Gunicorn counts as `gunicorn.log.<level>`. */
export type CountedLogLevel = 'critical' | 'error' | 'warning' | 'exception';

const SECONDS_PER_DAY = 86_400n;
const ONE_SECOND_NANOSECONDS = 1_000_000_000n;

/**
 * ".0", ".001", …, ".12", …, ".999": how Python prints n/1000 after the whole milliseconds, for
 * n microseconds (0..999). Below one second the duration is one correctly rounded division,
 * microseconds / 1000, whose shortest round-trip digits are exactly the decimal quotient, so it
 * prints from this table instead of through a float-to-string conversion on every request.
 */
const MICROSECOND_FRACTIONS: readonly string[] = Array.from({ length: 1000 }, (_, n) =>
  n === 0 ? '.0' : `.${String(n).padStart(3, '0').replace(/0+$/, '')}`);

/**
 * Gunicorn's prefix regex, quirks included: '' stays '', a single character gets no dot ('x' → 'x'),
 * trailing dots collapse to one ('flask_app..' → 'flask_app.'). Idempotent.
 *
 * Python's `.` excludes only "\n" and its `$` also matches before one final "\n"; JavaScript's `.`
 * also excludes "\r", "\u2028", "\u2029" and its `$` does not, hence `[^\n]` and the lookahead.
 * (Config rejects such characters anyway; this keeps the function exact for any input.)
 */
export function normalisePrefix(raw: string): StatsdPrefix {
  return raw.replace(/^([^\n]+[^.]+)\.*(?=\n?$)/, '$1.') as StatsdPrefix;
}

/**
 * A prefix that has been through normalisePrefix. The config normalises the prefix once; the
 * type lets the StatsD client rely on that instead of normalising it again.
 */
export type StatsdPrefix = string & { readonly [normalised]: true };
declare const normalised: unique symbol;

/** `|#<tags>` when dogstatsd tags are set, else '' (Gunicorn appends the tags verbatim). */
export function tagsSuffix(tags: string): string {
  return tags === '' ? '' : `|#${tags}`;
}

/**
 * Milliseconds exactly as Gunicorn computes and prints them. Gunicorn's elapsed time is a
 * `datetime.timedelta`: microsecond resolution, and `.seconds` excludes whole days (a quirk kept
 * here: a request lasting over a day wraps). The arithmetic is float64 in both languages, so the
 * same operations give the same bits, float noise included (1.016036 s → '1016.0360000000001').
 * A negative elapsed time (impossible with a monotonic clock) is treated as 0.
 */
export function formatMilliseconds(elapsedNanoseconds: bigint): string {
  if (elapsedNanoseconds < ONE_SECOND_NANOSECONDS) {
    // Nearly every request: integers this small are exact in float64, which is cheaper than BigInt.
    const nanoseconds = elapsedNanoseconds > 0n ? Number(elapsedNanoseconds) : 0;
    const microseconds = (nanoseconds - (nanoseconds % 1000)) / 1000;
    const fraction = microseconds % 1000;
    return `${(microseconds - fraction) / 1000}${MICROSECOND_FRACTIONS[fraction]}`;
  }
  const totalMicroseconds = elapsedNanoseconds / 1000n;
  const seconds = Number((totalMicroseconds / 1_000_000n) % SECONDS_PER_DAY);
  const microseconds = Number(totalMicroseconds % 1_000_000n);
  if (seconds === 0) {
    const wholeMilliseconds = Math.floor(microseconds / 1000);
    return `${wholeMilliseconds}${MICROSECOND_FRACTIONS[microseconds - wholeMilliseconds * 1000]}`;
  }
  return pythonFloatRepr(seconds * 1000 + microseconds / 1000);
}

/**
 * Python's repr(float): the shortest digits that round-trip (JavaScript's toExponential() with no
 * argument yields exactly those), fixed notation when -4 <= exponent < 16, otherwise scientific
 * with a signed two-digit-minimum exponent; a whole number keeps '.0'.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // The hot path (every request's duration): where JavaScript and Python both print fixed notation
  // (1e-4 <= |x| < 1e16), String() gives the same shortest round-trip digits; only a whole number
  // lacks Python's '.0'.
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** `Pgunicorn.request.duration:<D>|msT` — first of the three per-request lines. */
export function durationLine(prefix: string, suffix: string, elapsedNanoseconds: bigint): string {
  return `${durationHead(prefix)}${formatMilliseconds(elapsedNanoseconds)}${durationTail(suffix)}`;
}

/** What the duration line holds before its value: `Pgunicorn.request.duration:`. */
export function durationHead(prefix: string): string {
  return `${prefix}gunicorn.request.duration:`;
}

/** What the duration line holds after its value: `|msT`. */
export function durationTail(suffix: string): string {
  return `|ms${suffix}`;
}

/** `Pgunicorn.requests:1|c|@1.0T` — second per-request line. */
export function requestsLine(prefix: string, suffix: string): string {
  return `${prefix}gunicorn.requests:1|c|@1.0${suffix}`;
}

/** `Pgunicorn.request.status.<NNN>:1|c|@1.0T` — third per-request line (`%d`: an integer). */
export function statusLine(prefix: string, suffix: string, status: number): string {
  return `${prefix}gunicorn.request.status.${Math.trunc(status)}:1|c|@1.0${suffix}`;
}

/** `Pgunicorn.workers:<N>|gT` — the master's gauge (Gunicorn never sends 0: callers skip it). */
export function workersLine(prefix: string, suffix: string, count: number): string {
  return `${prefix}gunicorn.workers:${Math.trunc(count)}|g${suffix}`;
}

/** `Pgunicorn.backlog:<N>|hT` — connections waiting to be accepted (--enable-backlog-metric). */
export function backlogLine(prefix: string, suffix: string, connections: number): string {
  return `${prefix}gunicorn.backlog:${Math.trunc(connections)}|h${suffix}`;
}

/** `Pgunicorn.log.<level>:1|c|@1.0T` — one server log event at a counted level. */
export function logLine(prefix: string, suffix: string, level: CountedLogLevel): string {
  return `${prefix}gunicorn.log.${level}:1|c|@1.0${suffix}`;
}
