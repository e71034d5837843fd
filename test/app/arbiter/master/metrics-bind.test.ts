// --metrics-bind on the built app: the runtime metrics of a real master over two workers, gathered over IPC when scraped, and scrapes that are not app requests.
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_LOOP_ACTIVE, WORKERS_REPORTING } from '../../../../app/src/arbiter/runtime-metrics';
import { freeTcpPort, LOOPBACK } from '../../../../harness/ports';
import { stopAll } from '../../../../harness/processes';
import { serverLines, startMaster, gauge, type Master } from '../../../support/app-master';
import { masked, triple } from '../../../support/app-harness';
import { get } from '../../../support/load';

describe('the --metrics-bind listener of a master with two workers', () => {
  let master: Master | null = null;
  afterEach(async () => {
    await stopAll();
    await master?.udp.close();
    master = null;
  });

  it('serves the default metrics aggregated over both workers, and scrapes are not app requests', async () => {
    const metricsPort = await freeTcpPort();
    master = await startMaster(['--metrics-bind', `${LOOPBACK}:${metricsPort}`], 2);
    const m = master;
    await m.udp.waitFor((lines) => lines.length >= 4); // the gauge and startApp's GET /
    const linesBefore = m.udp.lines().length;

    const scrapes = await Promise.all([1, 2, 3].map(() => get(`http://${LOOPBACK}:${metricsPort}`, '/metrics')));
    expect(scrapes.map((scrape) => scrape.status)).toEqual([200, 200, 200]);
    const text = scrapes[0].body ?? '';
    expect(text).toContain(`${WORKERS_REPORTING} 2`);
    const cpu = text.split('\n').filter((line) => line.startsWith('process_cpu_user_seconds_total'));
    expect(cpu).toEqual([
      expect.stringMatching(/^process_cpu_user_seconds_total\{role="master"\} [\d.e-]+$/),
      expect.stringMatching(/^process_cpu_user_seconds_total\{role="worker"\} [\d.e-]+$/),
    ]);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes\{role="worker"\} \d+$/m);
    expect(text).toMatch(new RegExp(`^${EVENT_LOOP_ACTIVE}\\{role="worker"\\} [\\d.e-]+$`, 'm'));
    expect(text).not.toMatch(/pid=/);
    expect((await get(`http://${LOOPBACK}:${metricsPort}`, '/other')).status).toBe(404);

    // A marker app request after the scrapes (a 404): its triple follows the lines from before them directly.
    expect((await get(m.app.url, '/no-such-page')).status).toBe(404);
    await m.udp.waitFor((lines) => lines.some((line) => line.includes('.request.status.404:')));
    expect(masked(m.udp.lines().slice(linesBefore))).toEqual(triple(404));
    expect(serverLines(m.udp)).toEqual([gauge(2)]);
  });
});
