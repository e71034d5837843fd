// Reading a Gunicorn-style server log (the app master's or real Gunicorn's stderr): the lines the
// fault tests wait for and count.

/** Pids from every `Booting worker with pid: N` line, in order. */
export function bootedWorkers(output: string): number[] {
  return [...output.matchAll(/Booting worker with pid: (\d+)/g)].map((match) => Number(match[1]));
}

/** The socket layer's one warning per StatsD outage (app/src/statsd/socket.ts). */
export const STATSD_OUTAGE_WARNING = /statsd: cannot send to /;
/** Logged once when sending works again after an outage. */
export const STATSD_RECOVERED = /statsd: sending to .* again/;

export function countMatches(output: string, pattern: RegExp): number {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  return [...output.matchAll(global)].length;
}

/** Lines of `output` matching `pattern`, for failure messages. */
export function linesMatching(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}
