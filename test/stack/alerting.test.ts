// Alerts that reach a person, natively: the real Prometheus with the shipped rules, the real
// Alertmanager with the shipped routes, inhibitions and receivers (their secret files pointing at
// a loopback receiver), and two real statsd_exporters as the fault. Only the `for:` of the alerts
// under test and the group timings of the routes are shortened, so the run takes seconds.
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startAlertmanager, type Alertmanager } from '../../harness/alertmanager';
import { LOOPBACK } from '../../harness/ports';
import { stopAll } from '../../harness/processes';
import { queryInstant } from '../../harness/prometheus-api';
import { startPrometheus, startStatsdExporter, type Prometheus, type StatsdExporter } from '../../harness/stack';
import { addSilence, alertmanagerMetric, alertsNamed, servedConfig } from '../support/alertmanager-api';
import { waitUntil } from '../support/load';
import { startWebhookReceiver, type Received, type WebhookReceiver } from '../support/webhook-receiver';

/** The shortened holds: the absent-series alert waits longer than the exporter alert, as in production. */
const EXPORTER_DOWN_FOR_S = 6;
const ABSENT_FOR_S = 12;
const APP = 'flask_app';

/** The page URL carries a token, as a real pager's does: it must never appear in a log. */
const PAGE_TOKEN = randomBytes(12).toString('hex');
const PAGE_PATH = `/page/${PAGE_TOKEN}`;

let receiver: WebhookReceiver;
let alertmanager: Alertmanager;
let prometheus: Prometheus;
let exporters: StatsdExporter[];

const exporterAddress = (exporter: StatsdExporter) => `${LOOPBACK}:${exporter.webPort}`;

/** One request line into an exporter, so that gunicorn_requests_total exists there. */
async function sendRequestLine(exporter: StatsdExporter): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) =>
      socket.send(`${APP}.gunicorn.requests:1|c|@1.0`, exporter.statsdPort, LOOPBACK, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    socket.close();
  }
}

const byPath = (urlPath: string) => receiver.received.filter((got) => got.path === urlPath);
const mentions = (got: Received, alertname: string) => got.message.alerts.some((alert) => alert.labels.alertname === alertname);

/** The Alertmanager URLs Prometheus sends alerts to. */
async function activeAlertmanagers(): Promise<string[]> {
  const { data } = (await (await fetch(`${prometheus.url}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
  return data.activeAlertmanagers.map((am) => am.url);
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  alertmanager = await startAlertmanager({
    secrets: {
      'alert-page-url': `${receiver.url}${PAGE_PATH}`,
      'alert-ticket-url': `${receiver.url}/ticket`,
      'alert-heartbeat-url': `${receiver.url}/heartbeat`,
    },
    timings: { page: { group_wait: '1s', group_interval: '2s' }, ticket: { group_wait: '2s', group_interval: '2s' } },
  });
  exporters = [await startStatsdExporter(), await startStatsdExporter()];
  for (const exporter of exporters) await sendRequestLine(exporter);
  prometheus = await startPrometheus({
    targets: { 'statsd-exporter:9102': exporters.map(exporterAddress), 'alertmanager:9093': `${LOOPBACK}:${new URL(alertmanager.url).port}` },
    interval: '1s',
    alertFor: {
      StatsdExporterDown: `${EXPORTER_DOWN_FOR_S}s`,
      GunicornRequestMetricsAbsent: `${ABSENT_FOR_S}s`,
      AlertmanagerFailedReload: '3s',
      AlertmanagerNotificationsFailing: '3s',
      PrometheusErrorSendingAlerts: '3s',
    },
  });
  await waitUntil('both exporters scraped with their request counter', () => queryInstant(prometheus.url, 'gunicorn_requests_total'), (rows) => rows.length === 2, 20_000);
}, 120_000);

afterAll(async () => {
  await stopAll();
  await receiver?.close();
}, 60_000);

describe('Prometheus and Alertmanager, natively, with the shipped rules and routes', () => {
  it('Prometheus lists the Alertmanager as active', async () => {
    expect(await activeAlertmanagers()).toEqual([`${alertmanager.url}/api/v2/alerts`]);
  });

  it('the Watchdog arrives at the heartbeat receiver', async () => {
    // Prometheus drops the alerts it sends before its Alertmanager is discovered (the discovery
    // updates at most every 5 s) and sends a firing alert again a minute later (its resend delay):
    // when its first evaluation wins that race, the first Watchdog reaches Alertmanager then.
    const [heartbeat] = await waitUntil('a heartbeat', () => byPath('/heartbeat'), (got) => got.length > 0, 90_000);
    expect(heartbeat.message.receiver).toBe('heartbeat');
    expect(heartbeat.message.status).toBe('firing');
    expect(heartbeat.message.alerts.map((alert) => alert.labels.alertname)).toEqual(['Watchdog']);
    // Links in a notification open from the user's browser: Alertmanager's external URL.
    expect(heartbeat.message.externalURL).toBe(alertmanager.url);
  }, 100_000);

  describe('both exporters killed; exporter B silenced beforehand; the pager answers 500 once', () => {
    let killedAtMs = 0;
    let silence = '';
    const [a, b] = [0, 1];

    beforeAll(async () => {
      silence = addSilence(alertmanager.url, ['alertname=StatsdExporterDown', `instance=${exporterAddress(exporters[b])}`], 'exporter B under maintenance');
      receiver.failNext(PAGE_PATH, 1);
      killedAtMs = Date.now();
      for (const exporter of exporters) await exporter.kill();
    });

    it(`StatsdExporterDown pages no sooner than its for: (${EXPORTER_DOWN_FOR_S}s) after the fault, and the page is retried after the 500`, async () => {
      const pages = await waitUntil('a page accepted', () => byPath(PAGE_PATH), (got) => got.some((page) => page.answered === 200), 60_000);
      expect(pages.map((page) => page.answered).slice(0, 2)).toEqual([500, 200]);
      const [refused, delivered] = pages;
      expect(delivered.message.alerts.map((alert) => alert.fingerprint)).toEqual(refused.message.alerts.map((alert) => alert.fingerprint));
      expect(delivered.message.receiver).toBe('page');
      expect(delivered.message.status).toBe('firing');
      expect(delivered.message.groupLabels).toEqual({ alertname: 'StatsdExporterDown' });
      expect(refused.atMs - killedAtMs).toBeGreaterThanOrEqual(EXPORTER_DOWN_FOR_S * 1000);
    }, 70_000);

    it('the silenced exporter B is never in a page, and Alertmanager shows it silenced by that silence', async () => {
      const alerts = await alertsNamed(alertmanager.url, 'StatsdExporterDown');
      const silenced = alerts.find((alert) => alert.labels.instance === exporterAddress(exporters[b]));
      expect(silenced?.status).toMatchObject({ state: 'suppressed', silencedBy: [silence] });
      const paged = byPath(PAGE_PATH).flatMap((page) => page.message.alerts.map((alert) => alert.labels.instance));
      expect(new Set(paged)).toEqual(new Set([exporterAddress(exporters[a])]));
    });

    it('GunicornRequestMetricsAbsent fires in Prometheus but is inhibited by StatsdExporterDown, and its flush sends nothing', async () => {
      const [absent] = await waitUntil(
        'GunicornRequestMetricsAbsent in Alertmanager',
        () => alertsNamed(alertmanager.url, 'GunicornRequestMetricsAbsent'),
        (found) => found.length === 1,
        (ABSENT_FOR_S + 20) * 1000,
      );
      const down = await alertsNamed(alertmanager.url, 'StatsdExporterDown');
      expect(absent.status.state).toBe('suppressed');
      expect(absent.status.inhibitedBy.length).toBeGreaterThan(0);
      expect(down.map((alert) => alert.fingerprint)).toEqual(expect.arrayContaining(absent.status.inhibitedBy));
      // The ticket group was flushed (group_wait) and the alert muted there, not merely not yet sent.
      await waitUntil('the inhibited flush', () => alertmanagerMetric(alertmanager.url, 'alertmanager_notifications_suppressed_total{reason="inhibition"}'), (n) => n >= 1, 15_000);
      expect(receiver.received.filter((got) => mentions(got, 'GunicornRequestMetricsAbsent'))).toEqual([]);
    }, 50_000);

    it('once exporter A is back, the resolved page arrives (and still nothing about B or the inhibited alert)', async () => {
      // A alone first: its series ends GunicornRequestMetricsAbsent while B's StatsdExporterDown
      // (silenced, still firing) still inhibits it, so no flush can see it uninhibited.
      await exporters[a].restart();
      await sendRequestLine(exporters[a]);
      const resolved = await waitUntil(
        'the resolved page',
        () => byPath(PAGE_PATH).filter((page) => page.message.status === 'resolved'),
        (got) => got.length > 0,
        60_000,
      );
      expect(resolved[0].message.alerts.map((alert) => [alert.labels.instance, alert.status])).toEqual([[exporterAddress(exporters[a]), 'resolved']]);
      expect(receiver.received.filter((got) => mentions(got, 'GunicornRequestMetricsAbsent'))).toEqual([]);
      expect(byPath(PAGE_PATH).flatMap((page) => page.message.alerts).filter((alert) => alert.labels.instance === exporterAddress(exporters[b]))).toEqual([]);
      await waitUntil('GunicornRequestMetricsAbsent resolved', () => alertsNamed(alertmanager.url, 'GunicornRequestMetricsAbsent'), (found) => found.length === 0, 30_000);
      await exporters[b].restart();
      expect(receiver.received.filter((got) => mentions(got, 'GunicornRequestMetricsAbsent'))).toEqual([]);
    }, 70_000);
  });

  describe('a broken alertmanager.yml reloaded into the running Alertmanager', () => {
    let before = '';
    let good = '';
    let reload: Response;
    let reloadBody = '';

    beforeAll(async () => {
      before = await servedConfig(alertmanager.url);
      good = readFileSync(alertmanager.configFile, 'utf8');
      writeFileSync(alertmanager.configFile, good.replace('receiver: page\n', 'receiver: pager\n'));
      reload = await fetch(`${alertmanager.url}/-/reload`, { method: 'POST' });
      reloadBody = await reload.text();
    });

    it('is refused with a message naming the problem, and Alertmanager keeps serving the old routes', async () => {
      expect(reload.status).toBe(500);
      expect(reloadBody).toMatch(/undefined receiver "pager" used in route/);
      await alertmanager.process.waitForOutput(/level=ERROR .*msg="Loading configuration file failed".*undefined receiver \\"pager\\"/, 5_000);
      expect(await servedConfig(alertmanager.url)).toBe(before);
      expect(await alertmanagerMetric(alertmanager.url, 'alertmanager_config_last_reload_successful')).toBe(0);
    });

    it('AlertmanagerFailedReload fires, and the old routes deliver it as a ticket', async () => {
      await waitUntil(
        'AlertmanagerFailedReload firing in Prometheus',
        () => queryInstant(prometheus.url, 'ALERTS{alertname="AlertmanagerFailedReload",alertstate="firing"}'),
        (rows) => rows.length === 1,
        30_000,
      );
      const [ticket] = await waitUntil('the ticket', () => byPath('/ticket').filter((got) => mentions(got, 'AlertmanagerFailedReload')), (got) => got.length > 0, 30_000);
      expect(ticket.message.receiver).toBe('ticket');
      expect(ticket.message.alerts[0].labels).toMatchObject({ alertname: 'AlertmanagerFailedReload', severity: 'warning', job: 'alertmanager' });
    }, 70_000);

    it('the config fixed and reloaded, the resolved ticket arrives', async () => {
      writeFileSync(alertmanager.configFile, good);
      expect((await fetch(`${alertmanager.url}/-/reload`, { method: 'POST' })).status).toBe(200);
      const [resolved] = await waitUntil(
        'the resolved ticket',
        () => byPath('/ticket').filter((got) => mentions(got, 'AlertmanagerFailedReload') && got.message.status === 'resolved'),
        (got) => got.length > 0,
        30_000,
      );
      expect(resolved.message.alerts.map((alert) => [alert.labels.alertname, alert.status])).toEqual([['AlertmanagerFailedReload', 'resolved']]);
    }, 40_000);
  });

  describe('alerting itself failing: the heartbeat service answers 500 to every request, and Prometheus also sends to an Alertmanager URL that answers 500', () => {
    let refusing: WebhookReceiver;
    let refusingUrl = '';

    beforeAll(async () => {
      receiver.failNext('/heartbeat', Infinity);
      // A listener in an Alertmanager's place that refuses every batch of alerts, added to the
      // config Prometheus reads and reloaded (SIGHUP), as an operator adding an Alertmanager would.
      refusing = await startWebhookReceiver();
      refusing.failNext('/api/v2/alerts', Infinity);
      refusingUrl = `${refusing.url}/api/v2/alerts`;
      const configFile = path.join(prometheus.configDir, 'prometheus.yml');
      const config = parse(readFileSync(configFile, 'utf8')) as { alerting: { alertmanagers: unknown[] } };
      config.alerting.alertmanagers.push({ static_configs: [{ targets: [new URL(refusing.url).host] }] });
      writeFileSync(configFile, stringify(config));
      prometheus.process.signal('SIGHUP');
      await waitUntil('Prometheus to send to both Alertmanagers', activeAlertmanagers, (urls) => urls.includes(refusingUrl), 20_000);
    });

    afterAll(async () => {
      receiver.failNext('/heartbeat', 0);
      await refusing?.close();
    });

    it('AlertmanagerNotificationsFailing pages through the working page route, naming the heartbeat receiver', async () => {
      // The next heartbeat is due up to a minute after the last one (repeat_interval), and is
      // retried for its flush's timeout before it counts as failed.
      const [page] = await waitUntil('the page', () => byPath(PAGE_PATH).filter((got) => mentions(got, 'AlertmanagerNotificationsFailing')), (got) => got.length > 0, 150_000);
      expect(page.message.receiver).toBe('page');
      expect(page.message.status).toBe('firing');
      expect(page.message.groupLabels).toEqual({ alertname: 'AlertmanagerNotificationsFailing' });
      expect(page.message.alerts.map((alert) => alert.labels)).toEqual([
        expect.objectContaining({ alertname: 'AlertmanagerNotificationsFailing', severity: 'critical', integration: 'webhook', receiver_name: 'heartbeat' }),
      ]);
      // The heartbeat service was asked, and refused, every time since.
      const refused = byPath('/heartbeat').filter((got) => got.answered === 500);
      expect(refused.length).toBeGreaterThan(0);
    }, 160_000);

    it('PrometheusErrorSendingAlerts pages through the Alertmanager that still accepts; only the refusing one counts errors', async () => {
      const [page] = await waitUntil('the page', () => byPath(PAGE_PATH).filter((got) => mentions(got, 'PrometheusErrorSendingAlerts')), (got) => got.length > 0, 120_000);
      expect(page.message.receiver).toBe('page');
      expect(page.message.status).toBe('firing');
      expect(page.message.groupLabels).toEqual({ alertname: 'PrometheusErrorSendingAlerts' });
      expect(page.message.alerts.map((alert) => alert.labels)).toEqual([expect.objectContaining({ alertname: 'PrometheusErrorSendingAlerts', severity: 'critical', job: 'prometheus' })]);
      expect(refusing.received.length).toBeGreaterThan(0);
      expect(refusing.received.every((got) => got.answered === 500)).toBe(true);
      const errors = await queryInstant(prometheus.url, 'prometheus_notifications_errors_total');
      const byAlertmanager = Object.fromEntries(errors.map((row) => [row.metric.alertmanager, row.value]));
      expect(byAlertmanager[refusingUrl]).toBeGreaterThan(0);
      expect(byAlertmanager[`${alertmanager.url}/api/v2/alerts`]).toBe(0);
    }, 130_000);
  });

  it("no log line of Alertmanager or Prometheus holds the page URL's secret token", () => {
    expect(byPath(PAGE_PATH).length).toBeGreaterThan(0);
    expect(alertmanager.process.output()).not.toContain(PAGE_TOKEN);
    expect(prometheus.process.output()).not.toContain(PAGE_TOKEN);
  });
});
