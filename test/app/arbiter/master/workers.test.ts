// The master's worker supervision, as Gunicorn's arbiter: the workers gauge at start-up and on every change, TTIN/TTOU, a worker killed, SIGHUP.
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../../../../harness/processes';
import { gauge, logCounter, serverLines, startMaster, type Master } from '../../../support/app-master';
import { get, loadUntilStopped } from '../../../support/load';
import { isAlive } from '../../../support/procfs';
import { bootedWorkers } from '../../../support/server-log';

let master: Master | null = null;
afterEach(async () => {
  await stopAll();
  await master?.udp.close();
  master = null;
});

async function start(workers: number): Promise<Master> {
  master = await startMaster([], workers);
  return master;
}

/** Sends `signal` to the master and waits until it has logged handling it. */
async function signal({ app }: Master, name: 'SIGTTIN' | 'SIGTTOU' | 'SIGHUP'): Promise<void> {
  const line = `Handling signal: ${name.slice(3).toLowerCase()}`;
  const before = app.process.output().split(line).length;
  app.process.signal(name);
  await app.process.waitForOutput(new RegExp(`(${line}[\\s\\S]*){${before}}`));
}

const waitForLines = (m: Master, expected: string[]) =>
  m.udp.waitFor(() => serverLines(m.udp).length >= expected.length).then(() => serverLines(m.udp));

describe('the workers gauge', () => {
  it('is sent once at start-up with the number of workers, before any request line', async () => {
    const m = await start(2);
    await m.udp.waitFor((lines) => lines.length >= 4);
    expect(m.udp.lines()[0]).toBe(gauge(2));
    expect(serverLines(m.udp)).toEqual([gauge(2)]);
  });

  it('follows TTIN and TTOU; TTOU at one worker is refused and sends nothing', async () => {
    const m = await start(1);
    const [first] = bootedWorkers(m.app.process.output());
    await signal(m, 'SIGTTOU'); // refused: the count stays 1
    await signal(m, 'SIGTTIN');
    await signal(m, 'SIGTTIN');
    await signal(m, 'SIGTTOU'); // the oldest worker goes, as in Gunicorn
    expect(await waitForLines(m, [gauge(1), gauge(2), gauge(3), gauge(2)])).toEqual([gauge(1), gauge(2), gauge(3), gauge(2)]);
    // The first worker is the one retired; the two added ones serve.
    await m.app.process.waitForOutput(new RegExp(`Worker exiting \\(pid: ${first}\\)`));
    await m.app.process.waitForOutput(/(Booting worker with pid: \d+[\s\S]*){3}/);
    expect(bootedWorkers(m.app.process.output()).slice(1).map(isAlive)).toEqual([true, true]);
  });
});

describe('a worker killed by SIGKILL (not by the master)', () => {
  it('is replaced; log.error is sent and logged as Gunicorn logs it; the gauge is unchanged (replaced at once)', async () => {
    const m = await start(2);
    const [victim, survivor] = bootedWorkers(m.app.process.output());
    process.kill(victim, 'SIGKILL');
    await m.app.process.waitForOutput(/(Booting worker with pid: \d+[\s\S]*){3}/);
    const replacement = bootedWorkers(m.app.process.output())[2];
    expect(m.app.process.output()).toContain(`[ERROR] Worker (pid:${victim}) was sent SIGKILL! Perhaps out of memory?`);
    expect(await waitForLines(m, [gauge(2), logCounter('error')])).toEqual([gauge(2), logCounter('error')]);
    expect([isAlive(victim), isAlive(survivor), isAlive(replacement)]).toEqual([false, true, true]);
    expect((await get(m.app.url, '/')).status).toBe(200);
  });
});

describe('SIGHUP', () => {
  it('replaces every worker, the new ones serving before the old ones stop; every request answered; nothing sent', async () => {
    const m = await start(2);
    const old = bootedWorkers(m.app.process.output());
    const load = loadUntilStopped(m.app.url, ['/'], 2);
    await signal(m, 'SIGHUP');
    for (const pid of old) await m.app.process.waitForOutput(new RegExp(`Worker exiting \\(pid: ${pid}\\)`));
    const tally = await load.stop();

    expect(tally.failures).toEqual([]);
    expect(tally.answered).toBeGreaterThan(0);
    const output = m.app.process.output();
    const fresh = bootedWorkers(output).filter((pid) => !old.includes(pid));
    expect(fresh).toHaveLength(2);
    const lastBooted = Math.max(...fresh.map((pid) => output.indexOf(`Booting worker with pid: ${pid}`)));
    const firstExit = Math.min(...old.map((pid) => output.indexOf(`Worker exiting (pid: ${pid})`)));
    expect(lastBooted).toBeLessThan(firstExit);
    // Gunicorn's old workers exit 0 on SIGTERM: no warning, no gauge change.
    expect(serverLines(m.udp)).toEqual([gauge(2)]);
  });

  it('resets the count to --workers, as Gunicorn re-reads its configuration', async () => {
    const m = await start(1);
    await signal(m, 'SIGTTIN');
    await waitForLines(m, [gauge(1), gauge(2)]);
    await signal(m, 'SIGHUP');
    expect(await waitForLines(m, [gauge(1), gauge(2), gauge(1)])).toEqual([gauge(1), gauge(2), gauge(1)]);
  });
});
