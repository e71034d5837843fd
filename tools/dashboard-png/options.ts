// The command line of `npm run dashboard:png`, read by node:util's parseArgs as every tool reads
// its own: a wrong option or value is one message naming it, before anything is started.
import * as path from 'node:path';
import { parseArgs } from 'node:util';

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

/** The options from argv (without node and the script); throws an Error whose message names the bad option. */
export function parseOptions(argv: readonly string[], defaultOut: string): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        minutes: { type: 'string', default: '5' },
        concurrency: { type: 'string', default: '10' },
        'scrape-interval': { type: 'string', default: '5s' },
        out: { type: 'string', default: defaultOut },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message} (see --help)`);
  }
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, got "${values.minutes}"`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`--concurrency must be a positive whole number, got "${values.concurrency}"`);
  }
  const scrapeInterval = values['scrape-interval'];
  if (!/^\d+(ms|s|m)$/.test(scrapeInterval)) {
    throw new Error(`--scrape-interval must be a duration such as 5s, got "${scrapeInterval}"`);
  }
  if (values.out === '') throw new Error('--out must name a file, got ""');
  return { help: values.help, minutes, concurrency, scrapeInterval, out: path.resolve(values.out) };
}
