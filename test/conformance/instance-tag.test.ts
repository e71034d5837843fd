// The per-instance tag as compose and the README set it, byte for byte against real Gunicorn:
// `--dogstatsd-tags` given through GUNICORN_CMD_ARGS (which both read), its value padded with
// blanks, which Gunicorn strips. One GET / each (the start-up readiness probe), durations masked.
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../../harness/processes';
import { startApp, startGunicorn } from '../../harness/stack';
import { collectUdp, type UdpCollector } from '../../harness/udp';

const CMD_ARGS = "--dogstatsd-tags ' instance:web-1 '";
const KINDS = /^flask_app\.gunicorn\.(requests|request\.status\.\d{3}|request\.duration|workers):/;

/** Once a GET / and the workers gauge have arrived: those lines, durations masked, sorted. */
async function tagLines(udp: UdpCollector): Promise<string[]> {
  const expected = ['gunicorn.request.duration:', 'gunicorn.request.status.200:', 'gunicorn.requests:', 'gunicorn.workers:2|'];
  const lines = await udp.waitFor((got) => expected.every((kind) => got.some((line) => line.includes(kind))));
  return lines
    .filter((line) => KINDS.test(line))
    .map((line) => line.replace(/^(flask_app\.gunicorn\.request\.duration:)\d+\.\d+\|/, '$1<D>|'))
    .sort();
}

afterEach(async () => {
  await stopAll(5_000);
});

describe('--dogstatsd-tags through GUNICORN_CMD_ARGS, as compose sets it', () => {
  it('the Node app sends the same tagged lines as real Gunicorn, the blanks stripped', { timeout: 60_000 }, async () => {
    const results: string[][] = [];
    for (const start of [startGunicorn, startApp]) {
      const udp = await collectUdp();
      try {
        await start(['--statsd-host', `127.0.0.1:${udp.port}`, '--statsd-prefix', 'flask_app'], {
          workers: 2,
          env: { GUNICORN_CMD_ARGS: CMD_ARGS },
        });
        results.push(await tagLines(udp));
        await stopAll(5_000);
      } finally {
        await udp.close();
      }
    }
    const [gunicorn, app] = results;
    expect(gunicorn).toEqual([
      'flask_app.gunicorn.request.duration:<D>|ms|#instance:web-1',
      'flask_app.gunicorn.request.status.200:1|c|@1.0|#instance:web-1',
      'flask_app.gunicorn.requests:1|c|@1.0|#instance:web-1',
      'flask_app.gunicorn.workers:2|g|#instance:web-1',
    ]);
    expect(app).toEqual(gunicorn);
  });
});
