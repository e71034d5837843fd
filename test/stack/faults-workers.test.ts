// Worker and master faults, against the real exporter: a worker SIGKILLed under load, five
// SIGKILLed at saturation (the bench's kill scenario, bench/kills.ts), a worker whose event loop stops (SIGSTOP) for longer than --timeout, SIGTERM with slow requests
// in flight, and a second signal during the graceful stop. Which worker holds which connection is
// read from /proc, so "requests on the other worker are unaffected" is checked, not assumed.
import { afterEach, describe, expect, it } from 'vitest';
import { KILL_DEFAULTS, runKills } from '../../bench/kills';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { startApp, startStatsdExporter, type App, type StatsdExporter } from '../../harness/stack';
import { delta, exporterSnapshot, settledSnapshot, waitForRequests } from '../support/exporter';
import { drive, get, loadUntilStopped, waitUntil, type Outcome } from '../support/load';
import { connectionOwners, isAlive, processState } from '../support/procfs';
import { bootedWorkers } from '../support/server-log';

const APP = 'flask_app';

async function stack(args: readonly string[]): Promise<{ exporter: StatsdExporter; app: App }> {
  const exporter = await startStatsdExporter();
  const app = await startApp(
    ['--statsd-host', `${LOOPBACK}:${exporter.statsdPort}`, '--statsd-prefix', APP, ...args],
    { workers: 2 },
  );
  return { exporter, app };
}

interface InFlight {
  /** Client port → outcome promise. */
  readonly requests: Map<number, Promise<Outcome>>;
  /** Client port → the worker pid holding its connection (kept once seen, also after it ended). */
  readonly owners: Map<number, number>;
  /** Client ports whose request has settled (answered or failed), updated as they do. */
  readonly settled: ReadonlySet<number>;
}

/**
 * Opens slow requests until every worker in `workers` holds at least `perWorker` of them still in
 * flight (or `max` are open), then returns them with their owners. The kernel decides which worker
 * accepts. On a loaded machine opening them can take longer than one lasts: a request that has
 * ended no longer counts as held, but its owner is remembered.
 */
async function slowRequestsOnEveryWorker(
  app: App,
  path: string,
  workers: readonly number[],
  perWorker = 1,
  max = 40,
): Promise<InFlight> {
  const requests = new Map<number, Promise<Outcome>>();
  const owners = new Map<number, number>();
  const settled = new Set<number>();
  const held = () => workers.map((pid) => [...owners].filter(([port, owner]) => owner === pid && !settled.has(port)).length);
  while (requests.size < max) {
    let connected!: (port: number) => void;
    const portKnown = new Promise<number>((resolve) => (connected = resolve));
    const outcome = get(app.url, path, { onConnect: connected, timeoutMs: 60_000 });
    void outcome.then((o) => connected(o.localPort ?? -1));
    const port = await portKnown;
    requests.set(port, outcome);
    void outcome.then(() => settled.add(port));
    await waitUntil(`connection from port ${port} accepted by a worker`, () => connectionOwners(app.port, workers), (o) => o.has(port), 5_000, 20);
    // Only our slow requests: other clients (background load) connect to the same port.
    for (const [clientPort, pid] of connectionOwners(app.port, workers)) if (requests.has(clientPort)) owners.set(clientPort, pid);
    if (held().every((n) => n >= perWorker)) return { requests, owners, settled };
  }
  throw new Error(`after ${max} requests the workers held ${JSON.stringify(held())} connections`);
}

/**
 * Resolves once `settled` has not grown across three checks 100 ms apart (at most 5 s): with
 * timers and socket reads taking turns in the event loop, every response already delivered to
 * this process has been read by then.
 */
async function settledHoldsStill(settled: ReadonlySet<number>): Promise<void> {
  const deadline = Date.now() + 5_000;
  let size = settled.size;
  let unchanged = 0;
  while (unchanged < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    unchanged = settled.size === size ? unchanged + 1 : 0;
    size = settled.size;
  }
}

afterEach(async () => {
  await stopAll();
});

describe('a worker killed with SIGKILL during load', () => {
  it('is replaced; requests on the other worker are unaffected; log.error and the gauge show it', async () => {
    // /io_task takes 1 s: long enough to be in flight, on a known worker, when the kill lands.
    const { exporter, app } = await stack(['--demo-delay-scale', '0.5']);
    const [victim, survivor] = bootedWorkers(app.process.output());
    const baseline = await settledSnapshot(exporter.url, APP);

    const background = loadUntilStopped(app.url, ['/', '/cpu_task', '/no-such-page'], 4);
    const slow = await slowRequestsOnEveryWorker(app, '/io_task', [victim, survivor], 2);
    // Requests still in flight when the kill lands. The victim is frozen first: a response it wrote
    // just before may still be on its way into this process, so until this process has read what
    // has arrived, "not settled here" does not mean "not answered there". Stopped, it answers no
    // more; once the settled set holds still, the rest are in flight (and nothing settles between
    // the filter and the kill).
    process.kill(victim, 'SIGSTOP');
    await settledHoldsStill(slow.settled);
    const inFlightAtKill = new Set([...slow.owners.keys()].filter((port) => !slow.settled.has(port)));
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    await app.process.waitForOutput(/(Booting worker with pid: \d+[\s\S]*){3}/, 10_000);
    const replacedAfterMs = Date.now() - killedAt; // measured, reported, not asserted
    await waitUntil('victim gone', () => isAlive(victim), (alive) => !alive, 5_000);

    const outcomes = new Map<number, Outcome>();
    for (const [port, outcome] of slow.requests) outcomes.set(port, await outcome);
    const onSurvivor = [...slow.owners].filter(([, pid]) => pid === survivor).map(([port]) => outcomes.get(port));
    const onVictim = [...slow.owners].filter(([port, pid]) => pid === victim && inFlightAtKill.has(port)).map(([port]) => outcomes.get(port));
    expect(onSurvivor.length).toBeGreaterThanOrEqual(2);
    expect(onSurvivor.map((o) => o?.status)).toEqual(onSurvivor.map(() => 200));
    // The killed worker's own in-flight requests cannot be saved (nor are they in Gunicorn).
    expect(onVictim.every((o) => o?.status === null)).toBe(true);

    // Service goes on: after the replacement every request succeeds.
    const after = await drive(app.url, { '/': 20 }, 4);
    expect(after.failures).toEqual([]);
    const backgroundResult = await background.stop();
    // Each of the 4 background lanes has at most one request in flight when the kill lands.
    expect(backgroundResult.failures.length).toBeLessThanOrEqual(4);

    const [, , replacement] = bootedWorkers(app.process.output());
    expect(isAlive(replacement)).toBe(true);
    expect(isAlive(survivor)).toBe(true);
    expect(app.process.child.exitCode).toBeNull();

    // Every slow request that got its response, not only those still in `owners`: on a loaded
    // machine opening them can take longer than one lasts, and one that has finished and closed
    // its connection is no longer listed in /proc by the last look.
    const slowAnswered = [...outcomes.values()].filter((outcome) => outcome.status !== null).length;
    const answered = slowAnswered + after.answered + backgroundResult.answered;
    const now = await waitForRequests(exporter.url, APP, baseline.requests + answered);
    const counted = (await settledSnapshot(exporter.url, APP)).requests - baseline.requests;
    console.info(
      `SIGKILL: slow requests on victim ${onVictim.length} (all failed), on survivor ${onSurvivor.length} (all 200), ` +
        `${slowAnswered} answered in all; ` +
        `background ${backgroundResult.answered} answered, ${backgroundResult.failures.length} failed ` +
        `(${backgroundResult.failures.map((f) => f.error).join(', ')}); exporter counted ${counted} of ${answered} answered; ` +
        `replacement booted ${replacedAfterMs} ms after the kill`,
    );
    expect(now.requests).toBeGreaterThanOrEqual(baseline.requests + answered);
    // A request the victim had finished (and reported) just before the kill can still reach its
    // client as a reset; nothing else may be counted.
    expect(counted).toBeLessThanOrEqual(answered + backgroundResult.failures.length);
    const s = await waitUntil('log.error counted', () => exporterSnapshot(exporter.url, APP), (x) => (x.log.error ?? 0) >= 1);
    expect(s.log).toEqual({ error: 1 });
    expect(s.workers).toBe(2);
  });
});

describe('workers SIGKILLed at saturation', () => {
  it('five kills under a fixed load: every answered request is counted, and no request that was not made', async () => {
    // The load a user's saturating client puts on 2 workers (32 connections, 60,000 requests), one
    // worker SIGKILLed 1.5 s into each round: one poll phase answers many requests, and a kill
    // anywhere in it must not take the lines of a response that reached its client.
    const record = await runKills(KILL_DEFAULTS, (line) => console.info(line));
    expect(record.rounds).toHaveLength(5);
    for (const round of record.rounds) {
      expect(round.killedWhileLoading).toBe(true);
      // The kill hit a worker serving requests: some of them were never answered.
      expect(round.answered).toBeLessThan(record.requests);
      expect(round.counted).toBeGreaterThanOrEqual(round.answered);
      // Lines out for a response the kill then kept from its client (the kernel resets a killed
      // worker's connections, and a client loses what it had not read yet): never a request not made.
      expect(round.counted).toBeLessThanOrEqual(record.requests);
    }
  }, 300_000);
});

describe('a worker whose event loop is blocked longer than --timeout', () => {
  it('is killed and replaced, log.critical is sent, and the other worker serves meanwhile', async () => {
    const { exporter, app } = await stack(['--timeout', '3', '--demo-delay-scale', '0.01']);
    const [hung, other] = bootedWorkers(app.process.output());
    const baseline = await settledSnapshot(exporter.url, APP);

    // SIGSTOP freezes the worker exactly as a blocked event loop would: no heartbeat, no accept.
    const stoppedAt = Date.now();
    process.kill(hung, 'SIGSTOP');
    await waitUntil('worker stopped', () => processState(hung), (state) => state === 'T', 2_000, 20);
    const meanwhile = await drive(app.url, { '/': 20 }, 4);
    expect(meanwhile.failures).toEqual([]);

    await app.process.waitForOutput(new RegExp(`WORKER TIMEOUT \\(pid:${hung}\\)`), 15_000);
    const timedOutAfterMs = Date.now() - stoppedAt;
    await app.process.waitForOutput(/(Booting worker with pid: \d+[\s\S]*){3}/, 10_000);
    const replacedAfterMs = Date.now() - stoppedAt;
    await waitUntil('hung worker gone', () => isAlive(hung), (alive) => !alive, 10_000);
    console.info(`--timeout 3: WORKER TIMEOUT ${timedOutAfterMs} ms after SIGSTOP, replacement booted at ${replacedAfterMs} ms`);
    expect(isAlive(other)).toBe(true);

    const after = await drive(app.url, { '/': 20 }, 4);
    expect(after.failures).toEqual([]);
    const s = await waitUntil('log.critical counted', () => exporterSnapshot(exporter.url, APP), (x) => (x.log.critical ?? 0) >= 1);
    expect(s.log.critical).toBe(1);
    expect(s.workers).toBe(2);
    const now = await waitForRequests(exporter.url, APP, baseline.requests + 40);
    expect(now.requests).toBe(baseline.requests + 40);
  });
});

describe('SIGTERM with slow requests in flight', () => {
  it('lets every in-flight request complete, sends its lines, and exits 0 within the graceful timeout', async () => {
    const graceful = 10;
    const { exporter, app } = await stack(['--demo-delay-scale', '0.5', '--graceful-timeout', String(graceful)]);
    const workers = bootedWorkers(app.process.output());
    const baseline = await settledSnapshot(exporter.url, APP);

    const slow = await slowRequestsOnEveryWorker(app, '/io_task', workers, 2);
    app.process.signal('SIGTERM');
    const outcomes = await Promise.all(slow.requests.values());
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 200));

    const code = await Promise.race([
      app.process.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), (graceful + 5) * 1000)),
    ]);
    expect(code).toBe(0);
    const now = await waitForRequests(exporter.url, APP, baseline.requests + outcomes.length);
    expect(now.requests).toBe(baseline.requests + outcomes.length);
    expect(delta(now.byStatus, baseline.byStatus)).toEqual({ '200': outcomes.length });
    for (const pid of workers) expect(isAlive(pid)).toBe(false);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits at once on a second signal (%s), cutting the slow requests', async (second) => {
    // /io_task takes 20 s, longer than this test may wait: only a forced exit ends it in time.
    const { app } = await stack(['--demo-delay-scale', '10', '--graceful-timeout', '60']);
    const workers = bootedWorkers(app.process.output());
    const slow = await slowRequestsOnEveryWorker(app, '/io_task', workers, 1);

    app.process.signal('SIGTERM');
    await app.process.waitForOutput(/Handling signal: term/, 5_000);
    // Still draining: the graceful stop waits for the 20 s requests.
    expect(app.process.child.exitCode).toBeNull();
    app.process.signal(second);
    const code = await Promise.race([
      app.process.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    // Gunicorn's quick shutdown also exits 0.
    expect(code).toBe(0);
    expect(app.process.output()).toContain('Quick shutdown requested');
    const outcomes = await Promise.all(slow.requests.values());
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => null));
    for (const pid of workers) expect(isAlive(pid)).toBe(false);
  });
});
