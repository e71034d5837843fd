// No StatsD listener at --statsd-host: not a start-up error; every request is answered; one warning for the whole server (the master logs it for every process).
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort, LOOPBACK } from '../../../../harness/ports';
import { stopAll } from '../../../../harness/processes';
import { startApp } from '../../../../harness/stack';
import { drive } from '../../../support/load';
import { bootedWorkers, countMatches, STATSD_OUTAGE_WARNING, STATSD_RECOVERED } from '../../../support/server-log';

afterEach(async () => {
  await stopAll();
});

describe('nothing listens at the StatsD address', () => {
  it('every request gets its normal status; exactly one warning, from the master, no recovery, nothing else fails', async () => {
    const app = await startApp(['--statsd-host', `${LOOPBACK}:${await freeUdpPort()}`, '--demo-delay-scale', '0'], { workers: 1 });
    const [worker] = bootedWorkers(app.process.output());
    const warningsOf = (pid: number) =>
      app.process.output().split('\n').filter((line) => line.includes(`[${pid}] [WARNING]`) && STATSD_OUTAGE_WARNING.test(line)).length;

    const first = await drive(app.url, { '/': 20, '/no-such-page': 5, '/exception': 5 }, 4);
    // Linux reports the closed port (ICMP port unreachable) to the connected UDP socket.
    await app.process.waitForOutput(new RegExp(`\\[${app.process.pid}\\] \\[WARNING\\] ${STATSD_OUTAGE_WARNING.source}.*ECONNREFUSED`));
    const second = await drive(app.url, { '/': 20 }, 4);

    expect([...first.byStatus].sort()).toEqual([[200, 20], [404, 5], [500, 5]]);
    expect([...second.byStatus]).toEqual([[200, 20]]);
    // The graceful stop sends every pending line first, so every error has been seen by now.
    expect(await app.stop()).toBe(0);
    expect(warningsOf(worker)).toBe(0);
    expect(warningsOf(app.process.pid)).toBe(1);
    expect(countMatches(app.process.output(), STATSD_OUTAGE_WARNING)).toBe(1);
    expect(countMatches(app.process.output(), STATSD_RECOVERED)).toBe(0);
  });
});
