// No StatsD listener at --statsd-host: not a start-up error; every request is answered; nothing is logged about it (the UDP socket is unconnected, so a closed port is not seen).
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort, LOOPBACK } from '../../../harness/ports';
import { stopAll } from '../../../harness/processes';
import { startApp } from '../../../harness/stack';
import { drive } from '../../support/load';
import { countMatches, STATSD_OUTAGE_WARNING, STATSD_RECOVERED } from '../../support/server-log';

afterEach(async () => {
  await stopAll();
});

describe('nothing listens at the StatsD address', () => {
  it('every request gets its normal status, the server stops cleanly, and no StatsD warning is logged', async () => {
    const app = await startApp(['--statsd-host', `${LOOPBACK}:${await freeUdpPort()}`, '--demo-delay-scale', '0'], { workers: 1 });

    const first = await drive(app.url, { '/': 20, '/no-such-page': 5, '/exception': 5 }, 4);
    const second = await drive(app.url, { '/': 20 }, 4);

    expect([...first.byStatus].sort()).toEqual([[200, 20], [404, 5], [500, 5]]);
    expect([...second.byStatus]).toEqual([[200, 20]]);
    // The graceful stop sends every pending line first, so any error would have been seen by now.
    expect(await app.stop()).toBe(0);
    expect(countMatches(app.process.output(), STATSD_OUTAGE_WARNING)).toBe(0);
    expect(countMatches(app.process.output(), STATSD_RECOVERED)).toBe(0);
  });
});
