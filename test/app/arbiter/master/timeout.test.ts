// --timeout: a worker whose event loop stops answering the master is killed and replaced, as Gunicorn's WORKER TIMEOUT.
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../../../../harness/processes';
import { gauge, logCounter, serverLines, startMaster, type Master } from '../../../support/app-master';
import { get } from '../../../support/load';
import { isAlive } from '../../../support/procfs';
import { bootedWorkers } from '../../../support/server-log';

let master: Master | null = null;
afterEach(async () => {
  await stopAll();
  await master?.udp.close();
  master = null;
});

describe('a worker silent for longer than --timeout', () => {
  it('is killed (log.critical, WORKER TIMEOUT), reaped as SIGKILLed (log.error) and replaced; the gauge is unchanged', async () => {
    // SIGSTOP freezes the worker for real: no heartbeat can leave it, as with a blocked event loop.
    master = await startMaster(['--timeout', '5'], 2);
    const m = master;
    const [frozen, other] = bootedWorkers(m.app.process.output());
    process.kill(frozen, 'SIGSTOP');

    await m.app.process.waitForOutput(/(Booting worker with pid: \d+[\s\S]*){3}/, 30_000);
    const output = m.app.process.output();
    const critical = output.indexOf(`[CRITICAL] WORKER TIMEOUT (pid:${frozen})`);
    const error = output.indexOf(`[ERROR] Worker (pid:${frozen}) was sent SIGKILL! Perhaps out of memory?`);
    expect(critical).toBeGreaterThan(-1);
    expect(error).toBeGreaterThan(critical);
    // Gunicorn's lines for a stuck worker: critical at the timeout, error when the SIGKILLed worker is reaped.
    await m.udp.waitFor(() => serverLines(m.udp).length >= 3);
    expect(serverLines(m.udp)).toEqual([gauge(2), logCounter('critical'), logCounter('error')]);
    expect([isAlive(frozen), isAlive(other), isAlive(bootedWorkers(output)[2])]).toEqual([false, true, true]);
    expect((await get(m.app.url, '/')).status).toBe(200);
  });
});
