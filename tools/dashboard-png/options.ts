// The command line of `npm run dashboard:png`, read as every script reads its own: a wrong option or
// value is one message naming it, before anything is started.
import * as path from 'node:path';
import { ArgsError, positive, readFlags, type FlagSpec } from '../../harness/command-line';

export const USAGE = `Usage: npm run dashboard:png -- [options]

Runs statsd_exporter, Prometheus and the app natively, loads the app with request-script.sh,
and draws every panel of etc/dashboards/gunicorn.json with its own queries into a PNG.

  --minutes N           load duration (default 5)
  --concurrency N       request-script.sh users (default 10)
  --scrape-interval D   Prometheus scrape interval, also used for $__rate_interval (default 5s)
  --out FILE            where the PNG goes (default dashboard.png at the top of the repository)
  -h, --help            this help

Needs the pinned programs (bash scripts/install-tools.sh && . scripts/env.sh), the built app
(npm run build), siege and Chromium (/usr/bin/chromium, or CHROMIUM_BIN).
`;

export interface Options {
  help: boolean;
  minutes: number;
  concurrency: number;
  scrapeInterval: string;
  /** An absolute path. */
  out: string;
}

const FLAGS: FlagSpec = {
  minutes: { type: 'string' },
  concurrency: { type: 'string' },
  'scrape-interval': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** The options from argv (without node and the script); throws an ArgsError whose message names the bad option. */
export function parseOptions(argv: readonly string[], defaultOut: string): Options {
  const flags = readFlags(argv, FLAGS, USAGE);
  const minutes = positive('--minutes', flags.string('minutes') ?? '5', false);
  const concurrency = positive('--concurrency', flags.string('concurrency') ?? '10', true);
  const scrapeInterval = flags.string('scrape-interval') ?? '5s';
  if (!/^\d+(ms|s|m)$/.test(scrapeInterval)) {
    throw new ArgsError(`--scrape-interval: expected a duration such as 5s, got ${JSON.stringify(scrapeInterval)}`);
  }
  const out = flags.string('out') ?? defaultOut;
  if (out === '') throw new ArgsError('--out: expected a file name, got ""');
  return { help: flags.boolean('help'), minutes, concurrency, scrapeInterval, out: path.resolve(out) };
}
