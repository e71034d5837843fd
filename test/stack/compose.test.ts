// The stack as shipped: the committed docker-compose.yaml, unmodified, run by a real Docker Engine
// (the project's own daemon, scripts/docker-engine) with `docker compose`, on images built here
// (app/Dockerfile; the base images by scripts/base-images). Grafana is not run: no image of it can
// be pulled here and it is not built; every other service is named on `up`.
// The host talks to the stack only through the ports the file publishes on 127.0.0.1, and to
// HAProxy's status page through the Prometheus container, on the compose network.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { queryInstant } from '../../harness/prometheus-api';
import { ROOT } from '../../harness/stack';
import { emptyTargets, runDashboardQueries, type TargetResult } from '../support/dashboard';
import {
  acquireEngine,
  assertHostPortsFree,
  COMPOSE_FILE,
  composeRunner,
  inspectContainer,
  inspectImage,
  mustRun,
  publishedPorts,
  runCommand,
  type EngineLease,
} from '../support/docker';
import { delta, exporterSnapshot, settledSnapshot, statusRecord, waitForRequests } from '../support/exporter';
import { drive, get, loadUntilStopped, rawExchange, waitUntil } from '../support/load';
import { waitForTargetsUp } from '../support/prometheus-targets';
import { exporterByInstance, workersPanelQueries } from '../support/instances';
import { childrenOf, connectionOwners } from '../support/procfs';
import { appFrontend, appServers, upServers, type FrontendRow, type ServerRow } from '../support/haproxy';
import { writeRetimedOverride } from '../support/retimed-compose';

const PROJECT = 'gunicorn-stack-compose-test';
const SERVICES = ['haproxy', 'app', 'statsd-exporter', 'prometheus', 'alertmanager', 'alert-receiver'] as const;
const APP_URL = 'http://127.0.0.1:8000';
const EXPORTER_URL = 'http://127.0.0.1:9102';
const PROMETHEUS_URL = 'http://127.0.0.1:9090';
const ALERTMANAGER_URL = 'http://127.0.0.1:9093';
const APP = 'flask_app';
const SEL = `{app="${APP}"}`;
/** Prometheus's scrape interval in the committed prometheus.yml: the pace of every wait on it. */
const SCRAPE_MS = 15_000;

interface ComposeService {
  image?: string;
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
}
const composeFile = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, ComposeService> };
const compose = composeRunner(PROJECT);

let engine: EngineLease | undefined;
let startedAtMs = 0;

/** Statuses counted so far: by the clients, as the app and Prometheus must count them. */
const expected: Record<string, number> = {};
const expectedTotal = () => Object.values(expected).reduce((a, b) => a + b, 0);
function expect200s(n: number): void {
  expected['200'] = (expected['200'] ?? 0) + n;
}
function addStatuses(byStatus: Readonly<Record<string, number>>): void {
  for (const [status, n] of Object.entries(byStatus)) expected[status] = (expected[status] ?? 0) + n;
}

async function containerOf(service: string) {
  return inspectContainer(await compose.containerId(service));
}

async function waitHealthy(services: readonly string[], timeoutMs = 120_000): Promise<void> {
  await waitUntil(
    `${services.join(', ')} to be healthy`,
    () => Promise.all(services.map(async (service) => (await containerOf(service)).State.Health?.Status ?? 'none')),
    (states) => states.every((state) => state === 'healthy'),
    timeoutMs,
    500,
  );
}

async function promScalar(expr: string, time?: number): Promise<number> {
  const rows = await queryInstant(PROMETHEUS_URL, expr, time);
  if (rows.length !== 1) throw new Error(`${expr}: expected one sample, got ${JSON.stringify(rows)}`);
  return rows[0].value;
}

/** Waits until Prometheus's latest scrape shows `total` requests of the app. */
function waitForScraped(total: number): Promise<number> {
  return waitUntil(
    `Prometheus to scrape ${total} requests`,
    () => promScalar(`sum(gunicorn_requests_total${SEL})`).catch(() => NaN),
    (value) => value === total,
    3 * SCRAPE_MS,
    500,
  );
}

/** Lines of the app's log (master and workers write to the container's stdout/stderr). */
async function appLog(): Promise<string> {
  return compose.must(['logs', '--no-color', '--no-log-prefix', 'app']);
}
const countMatches = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line)).length;

beforeAll(async () => {
  engine = await acquireEngine();
  // Built by the install (scripts/base-images); a missing one is named here rather than pulled.
  for (const service of SERVICES) {
    const image = composeFile.services[service].image;
    if (image) await inspectImage(image);
  }
  // A run that was interrupted leaves its containers (and their ports): ours to remove.
  await compose.must(['down', '--volumes', '--remove-orphans'], 120_000);
  await assertHostPortsFree(publishedPorts(SERVICES.flatMap((service) => composeFile.services[service].ports ?? [])));
  await compose.must(['build', 'app'], 600_000);
  startedAtMs = Date.now();
  // `up` returns once each service's dependencies are healthy and every container has started.
  await compose.must(['up', '--detach', ...SERVICES], 300_000);
}, 900_000);

afterAll(async () => {
  try {
    await compose.run(['down', '--volumes', '--remove-orphans'], 120_000);
  } finally {
    await engine?.release();
  }
}, 180_000);

describe('docker compose up: app, statsd-exporter, prometheus, alertmanager from the committed file', () => {
  it('reaches healthy, each through the healthcheck the compose file gives it', async () => {
    await waitHealthy(SERVICES);
    for (const service of SERVICES) {
      expect((await containerOf(service)).Config.Healthcheck?.Test, service).toEqual(composeFile.services[service].healthcheck?.test);
    }
  }, 150_000);

  it('runs every container as a non-root user', async () => {
    for (const service of SERVICES) {
      const uid = (await compose.must(['exec', '-T', service, 'id', '-u'])).trim();
      expect(uid, service).toMatch(/^\d+$/);
      expect(uid, service).not.toBe('0');
    }
  });

  it('drops every capability, forbids privilege gain and mounts the root filesystem read-only (a write fails)', async () => {
    for (const service of SERVICES) {
      const { HostConfig } = await containerOf(service);
      expect({ capDrop: HostConfig.CapDrop, securityOpt: HostConfig.SecurityOpt, readOnly: HostConfig.ReadonlyRootfs }, service).toEqual({
        capDrop: ['ALL'],
        securityOpt: ['no-new-privileges:true'],
        readOnly: true,
      });
      const status = await compose.must(['exec', '-T', service, 'cat', '/proc/1/status']);
      expect(/^CapEff:\s+(\w+)$/m.exec(status)?.[1], service).toBe('0000000000000000');
      expect(/^NoNewPrivs:\s+(\d)$/m.exec(status)?.[1], service).toBe('1');
      const write = await compose.run(['exec', '-T', service, 'touch', '/write-probe']);
      expect(write.code, service).not.toBe(0);
      expect(write.stderr, service).toMatch(/Read-only file system/);
    }
  });

  it('mounts every config directory from the repository read-only: a write there fails', async () => {
    let checked = 0;
    for (const service of SERVICES) {
      // Secrets are bind mounts too, of single files: checked with the receivers below.
      const binds = (await containerOf(service)).Mounts.filter((mount) => mount.Type === 'bind' && !mount.Destination.startsWith('/run/secrets/'));
      const declared = (composeFile.services[service].volumes ?? []).filter((spec) => spec.startsWith('.'));
      expect(binds.map((mount) => mount.Destination).sort(), service).toEqual(declared.map((spec) => spec.split(':')[1]).sort());
      for (const mount of binds) {
        expect(mount.RW, `${service} ${mount.Destination}`).toBe(false);
        const write = await compose.run(['exec', '-T', service, 'touch', `${mount.Destination}/write-probe`]);
        expect(write.code, `${service} ${mount.Destination}`).not.toBe(0);
        expect(write.stderr, `${service} ${mount.Destination}`).toMatch(/Read-only file system/);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('scrapes every job of prometheus.yml: all up', async () => {
    const up = await waitForTargetsUp(PROMETHEUS_URL, '', 5, 3 * SCRAPE_MS, 500);
    expect(up.map((row) => row.metric.job).sort()).toEqual(['alertmanager', 'app', 'haproxy', 'prometheus', 'statsd-exporter']);
  }, 90_000);

  it('counts exactly what request-script.sh (real siege) and a known mix received, by status, on :9102 and :9090', async () => {
    const baseline = await exporterSnapshot(EXPORTER_URL, APP);
    expect(baseline.requests).toBe(0); // the healthchecks probe the metrics listener, not :8000
    const users = 8;
    const reps = 8;
    // --verbose: siege prints one line per response with its status (in colour), so statuses are
    // known exactly.
    const script = await runCommand(
      path.join(ROOT, 'request-script.sh'),
      ['--url', APP_URL, '--concurrency', String(users), '--reps', String(reps), '--delay', '0', '--', '--verbose'],
      { timeoutMs: 180_000, env: { ...process.env, BASE_URL: '' } },
    );
    expect(script.code, script.stderr).toBe(0);
    const siegeStatuses: Record<string, number> = {};
    for (const [, status] of (script.stdout + script.stderr).matchAll(/^(?:\x1b\[[\d;]*m)?HTTP\/1\.1 (\d{3}) /gm)) {
      siegeStatuses[status] = (siegeStatuses[status] ?? 0) + 1;
    }
    expect(Object.values(siegeStatuses).reduce((a, b) => a + b, 0), script.stdout).toBe(users * reps);
    addStatuses(siegeStatuses);
    expect200s(1); // the script's own GET / checking that the app answers
    // Every status class the dashboard splits by, for sure: 404s and the 500s of /exception.
    const mix = await drive(APP_URL, { '/': 5, '/no-such-page': 3, '/exception': 2, '/random_status': 10 }, 4);
    expect(mix.failures).toEqual([]);
    addStatuses(statusRecord(mix.byStatus));

    await waitForRequests(EXPORTER_URL, APP, expectedTotal());
    const counted = await settledSnapshot(EXPORTER_URL, APP);
    expect(counted.byStatus).toEqual(expected);
    expect(counted.requests).toBe(expectedTotal());
    expect(counted.log.exception).toBe(2);
    expect(counted.workers).toBe(2);

    await waitForScraped(expectedTotal());
    const rows = await queryInstant(PROMETHEUS_URL, `sum by (status) (gunicorn_responses_total${SEL})`);
    expect(Object.fromEntries(rows.map((row) => [row.metric.status, row.value]))).toEqual(expected);
  }, 300_000);

  it('returns data for every query of every dashboard panel, from the containerised Prometheus', async () => {
    // Ratios and quantiles of rates need an increase between two scrapes, 15 s apart: a light load
    // (two clients of /io_task, a request a second) runs while polling (bounded) until every target
    // has data.
    const load = loadUntilStopped(APP_URL, ['/io_task'], 2);
    let results: TargetResult[] = [];
    try {
      const deadline = Date.now() + 6 * SCRAPE_MS;
      do {
        results = await runDashboardQueries({
          prometheusUrl: PROMETHEUS_URL,
          range: { fromMs: startedAtMs, toMs: Date.now() },
          variables: { app: APP },
          scrapeInterval: `${SCRAPE_MS / 1000}s`,
        });
        if (emptyTargets(results.filter((r) => !r.requestSlots)).length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      } while (Date.now() < deadline);
    } finally {
      const served = await load.stop();
      expect(served.failures).toEqual([]);
      expect200s(served.answered);
    }
    expect(results.length).toBeGreaterThan(20);
    // All but the busy fraction of request slots: the app's workers are event loops (apps.yml).
    expect(emptyTargets(results.filter((r) => !r.requestSlots))).toEqual([]);
    expect(results.filter((r) => r.requestSlots).map((r) => r.series)).toEqual([0]);
  }, 150_000);

  it('docker compose stop haproxy app (HAProxy first, SIGUSR1) lets an in-flight /io_task finish: 200, and counted', async () => {
    const master = (await containerOf('app')).State.Pid;
    const workers = childrenOf(master);
    expect(workers.length).toBe(2);
    const before = await settledSnapshot(EXPORTER_URL, APP);
    const inFlight = get(APP_URL, '/io_task');
    // In flight for sure: a worker holds the accepted connection (seen in the container's namespace).
    await waitUntil('a worker to hold the /io_task connection', async () => connectionOwners(8000, workers, master).size, (n) => n === 1, 5_000, 20);
    const stop = compose.must(['stop', 'haproxy', 'app'], 90_000);
    const outcome = await inFlight;
    await stop;
    expect(outcome.status).toBe(200);
    expect200s(1);
    const after = await settledSnapshot(EXPORTER_URL, APP);
    expect(delta(after.byStatus, before.byStatus)).toEqual({ '200': 1 });
    expect(countMatches(await appLog(), /Shutting down: Master/)).toBeGreaterThanOrEqual(1);
    // HAProxy stopped gracefully (SIGUSR1), not with SIGTERM's immediate close of every connection.
    const haproxy = await containerOf('haproxy');
    expect(haproxy.State.Status).toBe('exited');
    expect(await compose.must(['logs', '--no-color', '--no-log-prefix', 'haproxy'])).toMatch(/Proxy app stopped|SIGUSR1|Stopping frontend/);

    await compose.must(['start', 'app', 'haproxy'], 120_000);
    await waitHealthy(['app', 'haproxy']);
  }, 150_000);

  it('docker compose restart statsd-exporter: the app keeps serving, warns once, says once it sends again, and counting resumes', async () => {
    const warning = /\[WARNING\] statsd: cannot send to statsd-exporter:9125 /;
    const recovery = /\[INFO\] statsd: sending to statsd-exporter:9125 again/;
    const logBefore = (await appLog()).split('\n').length;
    const load = loadUntilStopped(APP_URL, ['/'], 2);
    await compose.must(['restart', 'statsd-exporter'], 60_000);
    await waitHealthy(['statsd-exporter']);
    // The restarted exporter starts from zero: counting has resumed once it counts the load again.
    await waitUntil('the restarted exporter to count requests', () => exporterSnapshot(EXPORTER_URL, APP).catch(() => null), (s) => (s?.requests ?? 0) > 0, 30_000, 200);
    // The client's connected socket hears the stopped exporter refuse datagrams (ECONNREFUSED):
    // one warning for the whole server, and one "sending again" once a quiet period has passed
    // without a refusal, however many lines the load lost in between.
    const outageLog = () => appLog().then((log) => log.split('\n').slice(logBefore - 1).filter((line) => warning.test(line) || recovery.test(line)));
    await waitUntil('the app to log that it sends again', outageLog, (found) => found.some((line) => recovery.test(line)), 45_000, 200);
    const served = await load.stop();
    expect(served.failures).toEqual([]);
    expect(statusRecord(served.byStatus)).toEqual({ '200': served.answered });
    expect200s(served.answered);
    const lines = await outageLog();
    expect(lines.map((line) => (warning.test(line) ? 'down' : 'up')), lines.join('\n')).toEqual(['down', 'up']);
    expect(lines[0]).toMatch(/ECONNREFUSED/);

    // And exactly: what is sent now is counted now.
    const before = await settledSnapshot(EXPORTER_URL, APP, { requireConsistent: false });
    const more = await drive(APP_URL, { '/': 10 }, 4);
    expect(statusRecord(more.byStatus)).toEqual({ '200': 10 });
    expect200s(10);
    await waitForRequests(EXPORTER_URL, APP, before.requests + 10);
    const after = await settledSnapshot(EXPORTER_URL, APP, { requireConsistent: false });
    expect(after.requests - before.requests).toBe(10);
    expect(delta(after.byStatus, before.byStatus)).toEqual({ '200': 10 });
  }, 120_000);

  it('Prometheus lists the Alertmanager it found by DNS as active', async () => {
    const { data } = (await (await fetch(`${PROMETHEUS_URL}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
    const alertmanagerIp = Object.values((await containerOf('alertmanager')).NetworkSettings.Networks)[0].IPAddress;
    expect(data.activeAlertmanagers.map((am) => am.url)).toEqual([`http://${alertmanagerIp}:9093/api/v2/alerts`]);
  });

  it('the receivers read their URLs from secret files, mounted read-only; no URL is in any container environment', async () => {
    const alertmanager = await containerOf('alertmanager');
    const secrets = alertmanager.Mounts.filter((mount) => mount.Destination.startsWith('/run/secrets/'));
    expect(secrets.map((mount) => [mount.Destination, mount.RW]).sort()).toEqual(
      (composeFile.services.alertmanager.secrets ?? []).map((name) => [`/run/secrets/${name}`, false]).sort(),
    );
    const local = readFileSync(path.join(ROOT, 'etc', 'alertmanager', 'local-receiver.url'), 'utf8');
    expect(await compose.must(['exec', '-T', 'alertmanager', 'cat', '/run/secrets/alert-page-url'])).toBe(local);
    for (const service of SERVICES) {
      const env = (await containerOf(service)).Config.Env ?? [];
      expect(env.filter((entry) => entry.includes(local.trim())), service).toEqual([]);
    }
  });

  it('the Watchdog heartbeat arrives in the alert-receiver log as one JSON line, linking to the external URLs', async () => {
    const [heartbeat] = await waitUntil('a heartbeat in the alert-receiver log', () => notifications(), (found) => found.some((n) => n.receiver === 'heartbeat'), 3 * SCRAPE_MS, 1_000)
      .then((found) => found.filter((n) => n.receiver === 'heartbeat'));
    expect(heartbeat.alerts.map((alert) => alert.labels.alertname)).toEqual(['Watchdog']);
    expect(heartbeat.externalURL).toBe(ALERTMANAGER_URL.replace('127.0.0.1', 'localhost'));
    expect(heartbeat.alerts[0].generatorURL).toMatch(/^http:\/\/localhost:9090\/graph\?/);
  }, 60_000);

  it('docker compose stop statsd-exporter pages (StatsdExporterDown, in the alert-receiver log); start sends the resolved page', async () => {
    const isPage = (n: Notification, status: string) =>
      n.receiver === 'page' && n.status === status && n.alerts.some((alert) => alert.labels.alertname === 'StatsdExporterDown');
    await compose.must(['stop', 'statsd-exporter'], 60_000);
    try {
      // The rule's for: is 2 minutes, on 15-second scrapes and evaluations, then 10 s of group_wait.
      const [page] = await waitUntil('the page', () => notifications(), (found) => found.some((n) => isPage(n, 'firing')), 5 * 60_000, 2_000)
        .then((found) => found.filter((n) => isPage(n, 'firing')));
      expect(page.groupLabels).toEqual({ alertname: 'StatsdExporterDown' });
      const alerts = await (await fetch(`${ALERTMANAGER_URL}/api/v2/alerts?filter=${encodeURIComponent('alertname="StatsdExporterDown"')}`)).json() as { status: { state: string } }[];
      expect(alerts.map((alert) => alert.status.state)).toEqual(['active']);
    } finally {
      await compose.must(['start', 'statsd-exporter'], 60_000);
    }
    await waitHealthy(['statsd-exporter']);
    // Resolved at the next evaluation, sent at the page group's next flush (group_interval 1m).
    await waitUntil('the resolved page', () => notifications(), (found) => found.some((n) => isPage(n, 'resolved')), 4 * 60_000, 2_000);
  }, 600_000);

  it('docker compose kill -s TTOU app opens a ticket (GunicornWorkersLost, in the alert-receiver log); -s TTIN sends the resolved ticket', async () => {
    // Ready: when the cases before this one were filtered out, the stack has only just started.
    await waitHealthy(SERVICES);
    // The shipped holds would take about 16 minutes (for: 5m, then up to the ticket routes'
    // 10-minute group_interval before the resolution is told): only those two are shortened, in
    // copies of the committed files that an override of the test's own mounts.
    const retimed = writeRetimedOverride({ alertFor: { GunicornWorkersLost: '30s' }, timings: { ticket: { group_interval: '30s' } } });
    const isTicket = (n: Notification, status: string) =>
      n.receiver === 'ticket' && n.status === status && n.alerts.some((alert) => alert.labels.alertname === 'GunicornWorkersLost');
    try {
      await mustRun('docker', ['compose', '--project-name', PROJECT, '--file', COMPOSE_FILE, '--file', retimed.file, 'up', '--detach', '--no-deps', 'prometheus', 'alertmanager'], 120_000);
      await waitHealthy(['prometheus', 'alertmanager']);
      const { data } = (await (await fetch(`${PROMETHEUS_URL}/api/v1/rules?type=alert`)).json()) as { data: { groups: { rules: { name: string; duration: number }[] }[] } };
      expect(data.groups.flatMap((group) => group.rules).find((rule) => rule.name === 'GunicornWorkersLost')?.duration).toBe(30);
      // The rule compares with the hour's maximum: Prometheus must have scraped the gauge of both
      // workers (sent at start-up and on changes only) before the fault.
      await waitUntil('Prometheus to have scraped 2 workers within the hour', () => promScalar(`max_over_time(gunicorn_workers${SEL}[1h])`).catch(() => NaN), (n) => n === 2, 3 * SCRAPE_MS, 1_000);
      const earlier = (await notifications()).length;
      const since = async () => (await notifications()).slice(earlier);

      await compose.must(['kill', '-s', 'TTOU', 'app']);
      try {
        await waitUntil('Prometheus to see 1 worker', () => promScalar(`gunicorn_workers${SEL}`).catch(() => NaN), (n) => n === 1, 3 * SCRAPE_MS, 1_000);
        // for: 30 s on 15-second evaluations, then the ticket route's group_wait (1 minute, as shipped).
        const [ticket] = await waitUntil('the ticket', since, (found) => found.some((n) => isTicket(n, 'firing')), 4 * 60_000, 2_000)
          .then((found) => found.filter((n) => isTicket(n, 'firing')));
        expect(ticket.receiver).toBe('ticket');
        expect(ticket.status).toBe('firing');
        expect(ticket.groupLabels).toEqual({ alertname: 'GunicornWorkersLost', app: APP });
        expect(ticket.alerts.map((alert) => [alert.labels.alertname, alert.labels.severity, alert.status])).toEqual([['GunicornWorkersLost', 'warning', 'firing']]);
      } finally {
        await compose.must(['kill', '-s', 'TTIN', 'app']);
      }
      await waitUntil('Prometheus to see 2 workers again', () => promScalar(`gunicorn_workers${SEL}`).catch(() => NaN), (n) => n === 2, 3 * SCRAPE_MS, 1_000);
      // Resolved at the next evaluation, sent at the group's next flush (group_interval, shortened).
      const [resolved] = await waitUntil('the resolved ticket', since, (found) => found.some((n) => isTicket(n, 'resolved')), 3 * 60_000, 2_000)
        .then((found) => found.filter((n) => isTicket(n, 'resolved')));
      expect(resolved.groupLabels).toEqual({ alertname: 'GunicornWorkersLost', app: APP });
      expect(resolved.alerts.map((alert) => [alert.labels.alertname, alert.status])).toEqual([['GunicornWorkersLost', 'resolved']]);
    } finally {
      // The committed files again: `up` without the override recreates both with the shipped mounts.
      await compose.must(['up', '--detach', '--no-deps', 'prometheus', 'alertmanager'], 120_000);
      retimed.remove();
    }
    await waitHealthy(['prometheus', 'alertmanager']);
  }, 600_000);

  it('docker compose pause app pages (HAProxyNoHealthyReplica: no replica passes its health check); unpause sends the resolved page', async () => {
    await waitHealthy(SERVICES);
    const isPage = (n: Notification, status: string) =>
      n.receiver === 'page' && n.status === status && n.alerts.some((alert) => alert.labels.alertname === 'HAProxyNoHealthyReplica');
    const activeServers = () => promScalar('haproxy_backend_active_servers{proxy="app"}').catch(() => NaN);
    await waitUntil('Prometheus to see a replica up behind HAProxy', activeServers, (n) => n >= 1, 3 * SCRAPE_MS, 1_000);
    const earlier = (await notifications()).length;
    const since = async () => (await notifications()).slice(earlier);

    // A replica that hangs: its metrics listener stops answering, so HAProxy's checks time out.
    const replica = await addressOf(await compose.containerId('app'));
    await compose.must(['pause', 'app']);
    try {
      // DOWN is the health check's verdict (a replica gone from DNS would be MAINT instead).
      await waitUntil('HAProxy to mark the paused replica DOWN', haproxyServers, (rows) => rows.some((row) => row.address === replica && row.status === 'DOWN'), 30_000, 500);
      await waitUntil('Prometheus to see no replica up behind HAProxy', activeServers, (n) => n === 0, 3 * SCRAPE_MS, 1_000);
      // for: 1 minute on 15-second evaluations, then the page route's group_wait (10 s), as shipped.
      const [page] = await waitUntil('the page', since, (found) => found.some((n) => isPage(n, 'firing')), 4 * 60_000, 2_000)
        .then((found) => found.filter((n) => isPage(n, 'firing')));
      expect(page.groupLabels).toEqual({ alertname: 'HAProxyNoHealthyReplica' });
      expect(page.alerts.filter((alert) => alert.labels.alertname === 'HAProxyNoHealthyReplica').map((alert) => [alert.labels.severity, alert.labels.proxy, alert.status]))
        .toEqual([['critical', 'app', 'firing']]);
    } finally {
      await compose.must(['unpause', 'app']);
    }
    await waitUntil('Prometheus to see a replica up behind HAProxy again', activeServers, (n) => n >= 1, 3 * SCRAPE_MS, 1_000);
    // Resolved at the next evaluation, sent at the page group's next flush (group_interval 1m).
    await waitUntil('the resolved page', since, (found) => found.some((n) => isPage(n, 'resolved')), 4 * 60_000, 2_000);
  }, 600_000);

  it('docker compose down, then up (volumes kept): Prometheus still answers for the earlier samples', async () => {
    const at = Date.now() / 1000;
    const earlier = await promScalar(`sum(count_over_time(gunicorn_requests_total${SEL}[1h]))`, at);
    const total = await promScalar(`max_over_time(sum(gunicorn_requests_total${SEL})[1h:])`, at);
    expect(earlier).toBeGreaterThan(0);
    await compose.must(['down'], 120_000);
    await compose.must(['up', '--detach', ...SERVICES], 300_000);
    await waitHealthy(SERVICES);
    expect(await promScalar(`sum(count_over_time(gunicorn_requests_total${SEL}[1h]))`, at)).toBe(earlier);
    expect(await promScalar(`max_over_time(sum(gunicorn_requests_total${SEL})[1h:])`, at)).toBe(total);
  }, 400_000);
});

interface Notification {
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  externalURL: string;
  alerts: { labels: Record<string, string>; status: 'firing' | 'resolved'; generatorURL: string }[];
}

/** The notifications the alert-receiver printed: each line of its log that is one JSON document. */
async function notifications(): Promise<Notification[]> {
  const log = await compose.must(['logs', '--no-color', '--no-log-prefix', 'alert-receiver']);
  return log.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Notification);
}

async function promByInstance(expr: string): Promise<Record<string, number>> {
  return Object.fromEntries((await queryInstant(PROMETHEUS_URL, expr)).map((row) => [row.metric.instance, row.value]));
}

/** The app replicas `ids`: each one's hostname (its instance label), in that order, once all are healthy. */
async function healthyReplicaHostnames(ids: readonly string[]): Promise<string[]> {
  const replicas = await waitUntil(
    `${ids.length} app replicas to be healthy`,
    () => Promise.all(ids.map((id) => inspectContainer(id))),
    (found) => found.every((replica) => replica.State.Health?.Status === 'healthy'),
    120_000,
    500,
  );
  return replicas.map((replica) => replica.Config.Hostname);
}

/**
 * Through HAProxy, 60 requests on 60 connections (20 for each replica in its round-robin):
 * Prometheus, having found every replica, must count exactly that many, by replica, and the
 * dashboard's workers panel must show 2 per replica and 6 in all.
 */
async function checkThreeReplicas(hostnames: readonly string[]): Promise<void> {
  await waitForTargetsUp(PROMETHEUS_URL, '{job="app"}', 3, 5 * SCRAPE_MS, 1_000);
  const panel = workersPanelQueries(APP);
  const workers = await waitUntil(
    'a workers gauge of every replica scraped',
    () => promByInstance(panel.perInstance),
    (found) => Object.keys(found).length === 3,
    4 * SCRAPE_MS,
    1_000,
  );
  expect(workers).toEqual(Object.fromEntries(hostnames.map((hostname) => [hostname, 2])));
  expect((await queryInstant(PROMETHEUS_URL, panel.total)).map((row) => row.value)).toEqual([6]);

  const requestsBy = `sum by (instance) (gunicorn_requests_total${SEL})`;
  // Settled: two scrapes in a row with the same counts, so nothing sent earlier is still arriving.
  let before = await promByInstance(requestsBy);
  await waitUntil(
    'the request counts to settle',
    async () => {
      await new Promise((resolve) => setTimeout(resolve, SCRAPE_MS));
      const now = await promByInstance(requestsBy);
      const same = JSON.stringify(now) === JSON.stringify(before);
      before = now;
      return same;
    },
    (same) => same,
    5 * SCRAPE_MS,
    0,
  );
  const sent = await drive(APP_URL, { '/': 45, '/no-such-page': 15 }, 6);
  expect(statusRecord(sent.byStatus)).toEqual({ '200': 45, '404': 15 });
  const after = await waitUntil(
    'Prometheus to scrape the 60 requests',
    () => promByInstance(requestsBy),
    (found) => hostnames.reduce((total, hostname) => total + (found[hostname] ?? 0) - (before[hostname] ?? 0), 0) === 60,
    3 * SCRAPE_MS,
    500,
  );
  expect(Object.fromEntries(hostnames.map((hostname) => [hostname, after[hostname] - (before[hostname] ?? 0)]))).toEqual(
    Object.fromEntries(hostnames.map((hostname) => [hostname, 20])),
  );
}

describe('docker compose up --scale app=3: three replicas behind the one host port', () => {
  it("each replica tags its series with its hostname; Prometheus finds all three and counts exactly; 3×2 workers on the dashboard's queries", async () => {
    // From scratch: the earlier cases recreated the app (a new hostname), and a restarted
    // Prometheus still answers with the old instance's last samples for its 5 min lookback (it
    // writes no staleness markers on shutdown), so its workers would be summed in.
    await compose.must(['down', '--volumes'], 120_000);
    await compose.must(['up', '--detach', '--scale', 'app=3', ...SERVICES], 300_000);
    const ids = (await compose.must(['ps', '--quiet', 'app'])).trim().split('\n');
    expect(ids.length).toBe(3);
    const hostnames = (await healthyReplicaHostnames(ids)).sort();
    expect(new Set(hostnames).size).toBe(3);
    await checkThreeReplicas(hostnames);
    // request-script.sh works as with one replica: its load reaches every replica.
    const before = await promByInstance(`sum by (instance) (gunicorn_requests_total${SEL})`);
    const script = await runCommand(
      path.join(ROOT, 'request-script.sh'),
      ['--url', APP_URL, '--concurrency', '3', '--reps', '3', '--delay', '0'],
      { timeoutMs: 120_000, env: { ...process.env, BASE_URL: '' } },
    );
    expect(script.code, script.stderr).toBe(0);
    const after = await waitUntil(
      "Prometheus to scrape the script's 10 requests",
      () => promByInstance(`sum by (instance) (gunicorn_requests_total${SEL})`),
      (found) => hostnames.reduce((total, hostname) => total + found[hostname] - before[hostname], 0) === 10,
      3 * SCRAPE_MS,
      500,
    );
    expect(hostnames.every((hostname) => after[hostname] > before[hostname])).toBe(true);
  }, 600_000);
});

/** HAProxy's status page as CSV, read inside the compose network. */
function haproxyStatsCsv(): Promise<string> {
  return compose.must(['exec', '-T', 'prometheus', 'wget', '-q', '-O', '-', 'http://haproxy:8404/stats;csv']);
}

/** HAProxy's server rows of the app backend. */
async function haproxyServers(): Promise<ServerRow[]> {
  return appServers(await haproxyStatsCsv());
}

interface HAProxyStats {
  readonly frontend: FrontendRow;
  readonly servers: ServerRow[];
}

/** The frontend's and the server slots' counters, read at one instant. */
async function haproxyStats(): Promise<HAProxyStats> {
  const csv = await haproxyStatsCsv();
  return { frontend: appFrontend(csv), servers: appServers(csv) };
}

async function appReplicaIds(): Promise<string[]> {
  return (await compose.must(['ps', '--quiet', 'app'])).trim().split('\n').filter((id) => id !== '');
}

/** Waits until HAProxy has exactly these replicas UP, by address. */
function waitForRotation(addresses: readonly string[], timeoutMs = 60_000): Promise<ServerRow[]> {
  const wanted = [...addresses].sort().join(' ');
  return waitUntil(
    `HAProxy to have exactly ${addresses.length} replicas UP (${wanted})`,
    haproxyServers,
    (rows) => upServers(rows).map((row) => row.address).sort().join(' ') === wanted,
    timeoutMs,
    500,
  );
}

async function addressOf(id: string): Promise<string> {
  const networks = Object.values((await inspectContainer(id)).NetworkSettings.Networks);
  return networks[0].IPAddress;
}

/** siege's --verbose lines: the status of each response, every error line, and its summary. */
function siegeOutcome(output: string): { statuses: Record<string, number>; errors: string[]; transactions: number; failed: number } {
  const statuses: Record<string, number> = {};
  for (const [, status] of output.matchAll(/^(?:\x1b\[[\d;]*m)?HTTP\/1\.1 (\d{3}) /gm)) statuses[status] = (statuses[status] ?? 0) + 1;
  const errors = output.split('\n').filter((line) => /\[error\]|\[alert\]/.test(line));
  const transactions = Number(/Transactions:\s+(\d+) hits/.exec(output)?.[1] ?? NaN);
  const failed = Number(/Failed transactions:\s+(\d+)/.exec(output)?.[1] ?? NaN);
  return { statuses, errors, transactions, failed };
}

describe('HAProxy in front of the replicas: the client in the access log, scaling under load, a killed replica', () => {
  // The case's deadline is longer than its waits (up to 120 s for health, 60 s for rotation): a
  // case that times out goes on running after the runner has moved on, and its probe request would
  // be counted inside the next case's exact count.
  it("the app's access log names the client HAProxy saw (the PROXY line), not HAProxy's address", async () => {
    // Ready for a request: when the cases before this one were filtered out, the stack has only just started.
    const replicas = await appReplicaIds();
    await healthyReplicaHostnames(replicas);
    await waitForRotation(await Promise.all(replicas.map(addressOf)));
    const probe = `/?access-log-probe=${Date.now()}`;
    expect((await get(APP_URL, probe)).status).toBe(200);
    const line = await waitUntil(
      'the probe in an access log',
      async () => (await appLog()).split('\n').find((candidate) => candidate.includes(`"GET ${probe} HTTP/1.1" 200 `)),
      (found) => found !== undefined,
      10_000,
      200,
    );
    const client = (line ?? '').split(' ')[0];
    const [haproxyNetwork] = Object.values((await containerOf('haproxy')).NetworkSettings.Networks);
    expect(client).not.toBe(haproxyNetwork.IPAddress);
    // The host's connection to the published port reaches HAProxy from the network's gateway.
    expect(client).toBe(haproxyNetwork.Gateway);
  }, 240_000);

  it('scale 3 → 5 → 2 while siege runs: no client error, every replica serves, the exporter and Prometheus count exactly what siege got', async () => {
    // Three replicas already when the case above ran; started here when it was filtered out.
    await compose.must(['up', '--detach', '--no-recreate', '--scale', 'app=3', 'app'], 300_000);
    await healthyReplicaHostnames(await appReplicaIds());
    const replicas3 = await appReplicaIds();
    expect(replicas3.length).toBe(3);
    await waitForRotation(await Promise.all(replicas3.map(addressOf)));
    // Settled between two polls: each replica's backlog line arrives every second, so with
    // several replicas the line count is never still for long.
    const before = await settledSnapshot(EXPORTER_URL, APP, { quietMs: 0 });
    const requestsBy = () => exporterByInstance(EXPORTER_URL, 'gunicorn_requests_total', APP);
    const byInstanceBefore = await requestsBy();

    // A fixed number of requests, not a duration: siege abandons the requests in flight when its
    // time is up, which the app still serves and counts. About 90 s: the demo's slow routes, not
    // the machine, set the pace.
    let siegeDone = false;
    const siege = runCommand(
      path.join(ROOT, 'request-script.sh'),
      ['--url', APP_URL, '--concurrency', '4', '--reps', '200', '--delay', '0', '--', '--verbose'],
      { timeoutMs: 300_000, env: { ...process.env, BASE_URL: '' } },
    ).finally(() => {
      siegeDone = true;
    });
    await waitUntil('siege to be under way', () => exporterSnapshot(EXPORTER_URL, APP), (now) => now.requests > before.requests + 10, 30_000, 200);

    await compose.must(['up', '--detach', '--no-recreate', '--scale', 'app=5', 'app'], 300_000);
    const replicas5 = await appReplicaIds();
    expect(replicas5.length).toBe(5);
    const hostnames5 = await healthyReplicaHostnames(replicas5);
    await waitForRotation(await Promise.all(replicas5.map(addressOf)));
    // Every replica, the two new ones included, serves part of siege's load.
    await waitUntil(
      'every one of the 5 replicas to count requests of the load',
      requestsBy,
      (found) => hostnames5.every((hostname) => (found[hostname] ?? 0) > (byInstanceBefore[hostname] ?? 0)),
      60_000,
      500,
    );

    await compose.must(['up', '--detach', '--no-recreate', '--scale', 'app=2', 'app'], 300_000);
    const replicas2 = await appReplicaIds();
    expect(replicas2.length).toBe(2);
    await waitForRotation(await Promise.all(replicas2.map(addressOf)));
    // Both changes happened under load.
    expect(siegeDone).toBe(false);

    const result = await siege;
    expect(result.code, result.stderr).toBe(0);
    const outcome = siegeOutcome(result.stdout + result.stderr);
    expect(outcome.errors).toEqual([]);
    const received = Object.values(outcome.statuses).reduce((a, b) => a + b, 0);
    // siege counts a 5xx as a failed transaction, as it counts a connection error: every failure
    // it reports is one of the app's own 500s (/random_status), and every response is accounted for.
    const serverErrors = Object.entries(outcome.statuses).filter(([status]) => status.startsWith('5')).reduce((n, [, count]) => n + count, 0);
    expect(outcome.failed).toBe(serverErrors);
    expect(received).toBe(outcome.transactions + outcome.failed);
    expect(received).toBeGreaterThan(20);
    // Plus the script's own GET / checking that the app answers.
    const sent = { ...outcome.statuses, '200': (outcome.statuses['200'] ?? 0) + 1 };

    await waitForRequests(EXPORTER_URL, APP, before.requests + received + 1);
    const after = await settledSnapshot(EXPORTER_URL, APP, { quietMs: 0 });
    expect(delta(after.byStatus, before.byStatus)).toEqual(sent);
    await waitForScraped(after.requests);
  }, 600_000);

  it('a replica SIGKILLed under load leaves rotation, gets no new connection, and the other requests succeed', async () => {
    // Two replicas: three when the cases above ran, one when they were filtered out.
    await compose.must(['up', '--detach', '--no-recreate', '--scale', 'app=2', 'app'], 300_000);
    const replicas = await appReplicaIds();
    await healthyReplicaHostnames(replicas);
    const [victim, survivor] = replicas;
    const [victimAddress, survivorAddress] = await Promise.all([addressOf(victim), addressOf(survivor)]);
    const rotation = await waitForRotation([victimAddress, survivorAddress]);
    // By slot: the killed replica's slot loses its address when DNS drops it.
    const slotOf = (address: string) => rotation.find((row) => row.address === address)?.name ?? '';
    const [victimSlot, survivorSlot] = [slotOf(victimAddress), slotOf(survivorAddress)];
    // One answer to `/` as HAProxy counts it: the bytes from the replica to the client.
    const responseBytes = (await rawExchange(8000, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).length;
    expect(responseBytes).toBeGreaterThan(0);
    // Left dead, so that what HAProxy does about it is seen (restart: unless-stopped would bring it back).
    await runCommand('docker', ['update', '--restart=no', victim]);

    const before = await haproxyStats();
    const load = loadUntilStopped(APP_URL, ['/'], 4);
    await waitUntil('the load to be under way', async () => load.outcomes.length, (n) => n >= 20, 30_000, 50);
    await runCommand('docker', ['kill', '--signal', 'KILL', victim]);
    await waitForRotation([survivorAddress], 30_000);
    const served = await load.stop();
    const after = await haproxyStats();

    // Only requests the killed replica had taken fail, and as connection errors (no status). The
    // proof is HAProxy's own accounting, which is exact (its log is not: it drops lines when its
    // stdout is full). Every client connection is one frontend connection; each stays with one
    // replica, an attempt that fails to connect being redispatched to another (none fails for
    // good); and a replica that answered all its connections sent one response's bytes for each.
    // So the bytes a replica owes are the answers its clients never got on connections it had
    // accepted: none from the survivor, and from the victim one response per failed request.
    expect(served.failures.every((failure) => failure.status === null), JSON.stringify(served.failures)).toBe(true);
    expect(served.answered).toBeGreaterThan(20);
    const report = JSON.stringify({ before, after, failures: served.failures });
    expect(after.frontend.sessions - before.frontend.sessions, report).toBe(served.outcomes.length);
    expect(after.frontend.bytesOut - before.frontend.bytesOut, report).toBe(served.answered * responseBytes);
    // Over the load, per slot: the connections that stayed with it, and the bytes it owes them.
    const slotChange = (name: string) => {
      const [then, now] = [before, after].map((stats) => stats.servers.find((row) => row.name === name));
      if (!then || !now) throw new Error(`no slot ${name} in HAProxy's stats: ${report}`);
      const kept = now.sessions - then.sessions - (now.redispatches - then.redispatches);
      return { kept, owed: kept * responseBytes - (now.bytesOut - then.bytesOut) };
    };
    const [victimChange, survivorChange] = [slotChange(victimSlot), slotChange(survivorSlot)];
    expect(victimChange.kept + survivorChange.kept, report).toBe(served.outcomes.length);
    const connectErrors = (stats: HAProxyStats) => stats.servers.reduce((total, row) => total + row.connectErrors, 0);
    expect(connectErrors(after) - connectErrors(before), report).toBe(0);
    expect({ survivor: survivorChange.owed, victim: victimChange.owed }, report).toEqual({ survivor: 0, victim: served.failures.length * responseBytes });

    // Out of rotation: new connections go to the survivor only, none is retried against the dead one.
    const rowsBefore = await haproxyServers();
    const more = await drive(APP_URL, { '/': 30 }, 4);
    expect(statusRecord(more.byStatus)).toEqual({ '200': 30 });
    const rowsAfter = await haproxyServers();
    const sessions = (rows: readonly ServerRow[], address: string) => rows.filter((row) => row.address === address).reduce((total, row) => total + row.sessions, 0);
    expect(sessions(rowsAfter, survivorAddress) - sessions(rowsBefore, survivorAddress)).toBe(30);
    const retries = (rows: readonly ServerRow[]) => rows.reduce((total, row) => total + row.retries + row.redispatches, 0);
    expect(retries(rowsAfter)).toBe(retries(rowsBefore));
    // HAProxy says why: its health check (DOWN) or the replica's DNS record gone (MAINT).
    expect(rowsAfter.find((row) => row.name === victimSlot)?.status).toMatch(/^(DOWN|MAINT \(resolution\))$/);
  }, 300_000);
});

describe('docker-compose.exporter-per-instance.yaml: an exporter beside each instance', () => {
  const file = path.join(ROOT, 'docker-compose.exporter-per-instance.yaml');
  const perInstance = composeRunner(`${PROJECT}-per-instance`, file);
  const services = ['haproxy', 'app-1', 'app-2', 'app-3', 'statsd-exporter-1', 'statsd-exporter-2', 'statsd-exporter-3', 'prometheus'];

  afterAll(async () => {
    await perInstance.run(['down', '--volumes', '--remove-orphans'], 120_000);
  }, 180_000);

  it('Prometheus finds the three exporters and the three instances by DNS and counts exactly; 3×2 workers on the dashboard\'s queries', async () => {
    // The same host ports as the default file: that project goes first.
    await compose.must(['down', '--volumes', '--remove-orphans'], 120_000);
    await perInstance.must(['down', '--volumes', '--remove-orphans'], 120_000);
    await perInstance.must(['up', '--detach', ...services], 300_000);
    const ids = await Promise.all(['app-1', 'app-2', 'app-3'].map((service) => perInstance.containerId(service)));
    const hostnames = await healthyReplicaHostnames(ids);
    await waitForTargetsUp(PROMETHEUS_URL, '{job="statsd-exporter"}', 3, 5 * SCRAPE_MS, 1_000);
    // Each exporter holds its own instance's series only, read inside the compose network.
    for (const [i, hostname] of hostnames.entries()) {
      const page = await perInstance.must(['exec', '-T', `statsd-exporter-${i + 1}`, 'wget', '-q', '-O', '-', 'http://127.0.0.1:9102/metrics']);
      const instances = new Set([...page.matchAll(/^gunicorn_\w+\{[^}]*instance="([^"]+)"/gm)].map((match) => match[1]));
      expect([...instances], `statsd-exporter-${i + 1}`).toEqual([hostname]);
    }
    await checkThreeReplicas([...hostnames].sort());
  }, 600_000);
});

describe('the host ports the compose file publishes', () => {
  it('a taken port fails the compose test with a message naming it', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(assertHostPortsFree([{ port, protocol: 'tcp' }])).rejects.toThrow(
        new RegExp(`host port 127\\.0\\.0\\.1:${port}/tcp \\(EADDRINUSE\\) is taken`),
      );
    } finally {
      holder.close();
    }
  });
});
