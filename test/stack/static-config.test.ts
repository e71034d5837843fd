// The stack's config, checked before anything runs by the programs that read it: statsd_exporter
// --check-config, promtool, docker compose config. Deliberately broken copies prove each check
// catches what it should. Plus the cross-file facts no single tool checks: mounts exist, addresses
// name real services and ports, and every version pin agrees with scripts/versions.env.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERTMANAGER_CONFIG, ALERTMANAGER_FEATURES, SECRETS_DIR } from '../../harness/alertmanager';
import { EXPORTER_GOMAXPROCS, EXPORTER_READ_BUFFER_BYTES, requireTool, ROOT } from '../../harness/stack';
import { alertingRules, ruleFiles } from '../support/alert-rules';

const MAPPING = path.join(ROOT, 'etc', 'statsd-exporter', 'statsd.conf');
const PROMETHEUS_DIR = path.join(ROOT, 'etc', 'prometheus');
/** Every promtool test file of etc/prometheus, one per concern. */
const RULE_TESTS = readdirSync(PROMETHEUS_DIR).filter((file) => file.endsWith('.test.yml')).sort();
const GRAFANA_DIR = path.join(ROOT, 'etc', 'grafana');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yaml');

interface Run {
  status: number | null;
  /** stdout and stderr together: these programs split their messages between the two. */
  output: string;
}

function run(command: string, args: string[], cwd = ROOT): Run {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'static-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of `file` with `from` replaced by `to`; fails if `from` is not there, so a broken copy never silently equals the original. */
function brokenCopy(file: string, from: string, to: string, name = path.basename(file)): string {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}: update this test`);
  const copy = path.join(scratch, name);
  writeFileSync(copy, text.replace(from, () => to));
  return copy;
}

const versions: Record<string, string> = Object.fromEntries(
  readFileSync(path.join(ROOT, 'scripts', 'versions.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]),
);

interface ComposeService {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  secrets?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  cap_drop?: string[];
  security_opt?: string[];
  read_only?: boolean;
}
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string; environment?: string }>;
};

/** Container ports a service declares, as "port/proto": what it listens on inside the network. */
function listeningPorts(service: ComposeService): string[] {
  const published = (service.ports ?? []).map((spec) => {
    const [, containerPort, proto = 'tcp'] = /:(\d+)(?:\/(tcp|udp))?$/.exec(spec) ?? [];
    return `${containerPort}/${proto}`;
  });
  return [...published, ...(service.expose ?? []).map((port) => `${port}/tcp`)];
}

/** Every string value in a parsed YAML document, however deep. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('statsd_exporter --check-config', () => {
  const check = (mapping: string) =>
    run(requireTool('STATSD_EXPORTER_BIN'), ['--check-config', `--statsd.mapping-config=${mapping}`]);

  it('accepts the committed mapping', () => {
    const result = check(MAPPING);
    expect(result.output).toContain('Configuration check successful');
    expect(result.status).toBe(0);
  });

  it('rejects a mapping with an invalid regex, naming the regex', () => {
    const result = check(brokenCopy(MAPPING, String.raw`'^gunicorn\.requests$'`, String.raw`'^(gunicorn\.requests$'`));
    expect(result.output).toMatch(/invalid regex \^\(gunicorn\\\\\.requests\$ in mapping: error parsing regexp: missing closing \)/);
    expect(result.status).toBe(1);
  });

  it('rejects a mapping with a YAML syntax error, naming the line', () => {
    const result = check(brokenCopy(MAPPING, '    match_type: regex\n', '    match_type: regex\n   oops\n'));
    expect(result.output).toMatch(/msg="error loading config" error="yaml: line \d+: /);
    expect(result.status).toBe(1);
  });

  it('rejects a mapping with a misspelled field (the exporter parses strictly)', () => {
    const result = check(brokenCopy(MAPPING, '    name: gunicorn_requests_total', '    nmae: gunicorn_requests_total'));
    expect(result.output).toMatch(/field nmae not found in type mapper\.MetricMapping/);
    expect(result.status).toBe(1);
  });
});

describe('promtool', () => {
  const promtool = (...args: string[]) => run(requireTool('PROMTOOL_BIN'), args, PROMETHEUS_DIR);
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('check config accepts prometheus.yml and every rule file it names', () => {
    const result = promtool('check', 'config', 'prometheus.yml');
    expect(result.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
    for (const file of ruleFiles()) expect(result.output).toMatch(new RegExp(`Checking ${escapeRegExp(file)}\\s+SUCCESS: \\d+ rules found`));
    expect(result.status).toBe(0);
  });

  it.each(ruleFiles())('check rules accepts %s', (file) => {
    const result = promtool('check', 'rules', file);
    expect(result.output).toMatch(new RegExp(`Checking ${escapeRegExp(file)}\\s+SUCCESS: [1-9]\\d* rules found`));
    expect(result.status).toBe(0);
  });

  // One file at a time, each with room: promtool evaluates every rule at every step of hours of
  // samples, tens of seconds of CPU per file.
  it.each(RULE_TESTS)('test rules passes %s', (file) => {
    const result = promtool('test', 'rules', file);
    expect(result.output).toContain('SUCCESS');
    expect(result.output).not.toContain('FAILED');
    expect(result.status).toBe(0);
  }, 180_000);

  it('check config rejects a prometheus.yml with a misspelled field', () => {
    for (const file of ['rules.yml', 'alerts.yml']) copyFileSync(path.join(PROMETHEUS_DIR, file), path.join(scratch, file));
    const broken = brokenCopy(path.join(PROMETHEUS_DIR, 'prometheus.yml'), '  scrape_interval: 15s', '  scrape_intervall: 15s');
    const result = run(requireTool('PROMTOOL_BIN'), ['check', 'config', broken]);
    expect(result.output).toMatch(/FAILED: parsing YAML file .*prometheus\.yml: yaml: unmarshal errors:\s+line \d+: field scrape_intervall not found/);
    expect(result.status).toBe(1);
  });

  it('check rules rejects an alert whose expression does not parse, naming the rule', () => {
    const broken = brokenCopy(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'expr: absent(gunicorn_requests_total)', 'expr: absent(gunicorn_requests_total', 'broken-alerts.yml');
    const result = run(requireTool('PROMTOOL_BIN'), ['check', 'rules', broken]);
    expect(result.output).toMatch(/"GunicornRequestMetricsAbsent": could not parse expression: .*unclosed left parenthesis/);
    expect(result.status).toBe(1);
  });
});

describe('alert rules', () => {
  const rules = alertingRules();
  const tests = RULE_TESTS.flatMap((file) => (parse(readFileSync(path.join(PROMETHEUS_DIR, file), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  }).tests.flatMap((test) => test.alert_rule_test ?? []));

  it('every alert has a for:, a severity, a summary and a description', () => {
    const incomplete = rules
      .filter((rule) => !rule.for || !rule.labels?.severity || !rule.annotations?.summary || !rule.annotations?.description)
      .map((rule) => rule.alert);
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining(['GunicornHigh5xxRatio', 'GunicornLatencyBudgetFastBurn']));
    expect(incomplete).toEqual([]);
  });

  it('every rule file prometheus.yml names is read here', () => {
    expect(ruleFiles()).toEqual(['rules.yml', 'alerts.yml', 'alerting-pipeline.yml']);
  });

  it('every alert is tested both not firing and firing in one of the test files', () => {
    // The Watchdog fires by design at every evaluation: it has no "not firing" to test.
    const untested = rules
      .filter((rule) => {
        const cases = tests.filter((test) => test.alertname === rule.alert);
        const silent = rule.alert === 'Watchdog' || cases.some((test) => test.exp_alerts.length === 0);
        return !silent || !cases.some((test) => test.exp_alerts.length > 0);
      })
      .map((rule) => rule.alert);
    expect(untested).toEqual([]);
  });

  it('every alert on the app, the exporter, the front door and the SLOs has a way to fire in the demo, in docs/saturation-and-slos.md', () => {
    // The alerts about alerting itself are made to fire by test/stack/alerting.test.ts instead.
    const doc = readFileSync(path.join(ROOT, 'docs', 'saturation-and-slos.md'), 'utf8');
    const start = doc.indexOf('## Making each alert fire in the demo');
    expect(start).toBeGreaterThan(-1);
    // To the next section: another table's rows do not count.
    const next = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, next === -1 ? undefined : next);
    const rows = new Set([...section.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]));
    const demoAlerts = rules.filter((rule) => rule.file !== 'alerting-pipeline.yml').map((rule) => rule.alert);
    expect(demoAlerts).toContain('HAProxyNoHealthyReplica');
    expect(demoAlerts.filter((alert) => !rows.has(alert))).toEqual([]);
  });
});

describe('docker-compose.yaml', () => {
  it('docker compose config accepts it', () => {
    const result = run('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet']);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  const bindMounts = Object.values(compose.services)
    .flatMap((service) => service.volumes ?? [])
    .filter((spec) => spec.startsWith('.'));

  it('every file and directory it mounts from the repository exists', () => {
    expect(bindMounts.length).toBeGreaterThan(0);
    expect(bindMounts.filter((spec) => !existsSync(path.join(ROOT, spec.split(':')[0])))).toEqual([]);
  });

  it('mounts everything from the repository read-only', () => {
    expect(bindMounts.filter((spec) => !spec.endsWith(':ro'))).toEqual([]);
  });

  it("Grafana's home dashboard path is a file in a mounted directory", () => {
    const home = compose.services.grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    const mount = bindMounts.map((spec) => spec.split(':')).find(([, target]) => home.startsWith(`${target}/`));
    expect(mount, `${home} is under no mount`).toBeDefined();
    expect(existsSync(path.join(ROOT, mount![0], path.relative(mount![1], home)))).toBe(true);
  });

  it('every host:port in the Prometheus and Grafana config names a compose service and a port it listens on', () => {
    // "localhost" in a service's own config means that service.
    const files: [file: string, service: string][] = [
      [path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'prometheus'],
      [path.join(GRAFANA_DIR, 'datasources.yaml'), 'grafana'],
      [path.join(GRAFANA_DIR, 'dashboards.yaml'), 'grafana'],
    ];
    const addresses = files.flatMap(([file, self]) =>
      strings(parse(readFileSync(file, 'utf8'))).flatMap((value) => {
        const match = /^(?:https?:\/\/)?([a-z0-9.-]+):(\d+)(?:\/.*)?$/i.exec(value);
        if (!match) return [];
        return [{ file: path.basename(file), value, service: match[1] === 'localhost' ? self : match[1], port: `${match[2]}/tcp` }];
      }),
    );
    // Services found by DNS (dns_sd_configs): each name with the job's port.
    const prometheus = parse(readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { dns_sd_configs?: { names: string[]; port: number }[] }[];
      alerting: { alertmanagers: { dns_sd_configs?: { names: string[]; port: number }[] }[] };
    };
    const discovered = [...prometheus.scrape_configs, ...prometheus.alerting.alertmanagers].flatMap((job) =>
      (job.dns_sd_configs ?? []).flatMap((sd) =>
        sd.names.map((name) => ({ file: 'prometheus.yml', value: `${name} (DNS)`, service: name, port: `${sd.port}/tcp` })),
      ),
    );
    expect(discovered.map((found) => found.service).sort()).toEqual(['alertmanager', 'alertmanager', 'app', 'statsd-exporter']);
    addresses.push(...discovered);
    expect(addresses.length).toBeGreaterThanOrEqual(4);
    const unknown = addresses.filter(({ service, port }) => !listeningPorts(compose.services[service] ?? {}).includes(port));
    expect(unknown).toEqual([]);
  });

  it("the app's flags and environment agree with the ports compose declares", () => {
    const { app, 'statsd-exporter': exporter } = compose.services;
    const flag = (name: string) => app.command?.find((arg) => arg.startsWith(`--${name}=`))?.split(':').pop();
    expect({
      bind: `${flag('bind')}/tcp`,
      metricsBind: `${flag('metrics-bind')}/tcp`,
      statsd: `${app.environment?.STATSD_HOST} ${app.environment?.STATSD_PORT}/udp`,
    }).toEqual({ bind: '8000/tcp', metricsBind: '9464/tcp', statsd: 'statsd-exporter 9125/udp' });
    expect(listeningPorts(app)).toEqual(expect.arrayContaining(['8000/tcp', '9464/tcp']));
    expect(listeningPorts(exporter)).toContain('9125/udp');
  });

  it('the exporter the tests and the bench run asks for the receive buffer compose gives it', () => {
    const readBuffer = compose.services['statsd-exporter'].command?.find((arg) => arg.startsWith('--statsd.read-buffer='));
    expect(readBuffer).toBe(`--statsd.read-buffer=${EXPORTER_READ_BUFFER_BYTES}`);
  });

  it('the exporter the tests and the bench run has the Go processors compose gives it', () => {
    expect(compose.services['statsd-exporter'].environment?.GOMAXPROCS).toBe(EXPORTER_GOMAXPROCS);
  });

  it('publishes host ports on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((service) => service.ports ?? []);
    expect(ports.sort()).toEqual([
      '127.0.0.1:3000:3000',
      '127.0.0.1:8000:8000',
      '127.0.0.1:9090:9090',
      '127.0.0.1:9093:9093',
      '127.0.0.1:9102:9102',
      '127.0.0.1:9125:9125/udp',
    ]);
  });

  it('every service drops all capabilities, forbids privilege gain and has a read-only root filesystem', () => {
    const services = Object.entries(compose.services).map(([name, service]) => ({
      name,
      capDrop: service.cap_drop,
      securityOpt: service.security_opt,
      readOnly: service.read_only,
    }));
    expect(services).toEqual(
      Object.keys(compose.services).map((name) => ({
        name,
        capDrop: ['ALL'],
        securityOpt: ['no-new-privileges:true'],
        readOnly: true,
      })),
    );
  });

  it('every service has a healthcheck and restart: unless-stopped', () => {
    const services = Object.entries(compose.services).map(([name, service]) => ({
      name,
      healthcheck: Array.isArray(service.healthcheck?.test),
      restart: service.restart,
    }));
    expect(services).toEqual(
      Object.keys(compose.services).map((name) => ({ name, healthcheck: true, restart: 'unless-stopped' })),
    );
  });

  it('the Grafana datasource has uid "prometheus" and timeInterval equal to the scrape interval', () => {
    const prometheus = parse(readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      global: { scrape_interval: string };
    };
    const { datasources } = parse(readFileSync(path.join(GRAFANA_DIR, 'datasources.yaml'), 'utf8')) as {
      datasources: { type: string; uid: string; jsonData: { timeInterval?: string } }[];
    };
    expect(datasources.filter((source) => source.type === 'prometheus').map((source) => [source.uid, source.jsonData.timeInterval])).toEqual([
      ['prometheus', prometheus.global.scrape_interval],
    ]);
  });

  it('the Alertmanager datasource is the Prometheus implementation, at the alertmanager service', () => {
    const { datasources } = parse(readFileSync(path.join(GRAFANA_DIR, 'datasources.yaml'), 'utf8')) as {
      datasources: { type: string; uid: string; url: string; jsonData: { implementation?: string } }[];
    };
    expect(datasources.filter((source) => source.type === 'alertmanager').map((source) => [source.uid, source.url, source.jsonData.implementation])).toEqual([
      ['alertmanager', 'http://alertmanager:9093', 'prometheus'],
    ]);
  });
});

describe('docker-compose.yaml: Alertmanager and its receivers', () => {
  const { alertmanager } = compose.services;
  const urlFiles = [...readFileSync(ALERTMANAGER_CONFIG, 'utf8').matchAll(/url_file: (\S+)/g)].map((match) => match[1]);

  it('mounts, as a secret, every url_file alertmanager.yml reads', () => {
    expect(urlFiles.length).toBe(3);
    expect(urlFiles.map((file) => file.replace(SECRETS_DIR, '')).sort()).toEqual([...(alertmanager.secrets ?? [])].sort());
  });

  it('every secret is a file (from the environment only as a path), and no receiver URL is in any environment', () => {
    const secrets = Object.entries(compose.secrets ?? {});
    expect(secrets.map(([name, secret]) => [name, Object.keys(secret)])).toEqual(
      (alertmanager.secrets ?? []).map((name) => [name, ['file']]),
    );
    const environments = Object.values(compose.services).flatMap((service) => Object.keys(service.environment ?? {}));
    expect(environments.filter((name) => /URL|KEY|TOKEN|SECRET/i.test(name))).toEqual([]);
  });

  it('the default secret names the alert-receiver service and the port it listens on', () => {
    const defaults = new Set(Object.values(compose.secrets ?? {}).map((secret) => /:-([^}]+)\}/.exec(secret.file ?? '')?.[1]));
    expect([...defaults]).toEqual(['./etc/alertmanager/local-receiver.url']);
    const url = new URL(readFileSync(path.join(ROOT, 'etc', 'alertmanager', 'local-receiver.url'), 'utf8').trim());
    expect(listeningPorts(compose.services[url.hostname] ?? {})).toContain(`${url.port}/tcp`);
    expect(existsSync(path.join(ROOT, 'etc', 'alert-receiver', url.pathname))).toBe(true);
  });

  it('runs one Alertmanager with gossip off, the features the native tests use, and an external URL', () => {
    expect(alertmanager.command).toEqual(expect.arrayContaining([
      '--cluster.listen-address=',
      `--enable-feature=${ALERTMANAGER_FEATURES}`,
      '--web.external-url=${ALERTMANAGER_EXTERNAL_URL:-http://localhost:9093}',
    ]));
    expect(compose.services.prometheus.command).toContain('--web.external-url=${PROMETHEUS_EXTERNAL_URL:-http://localhost:9090}');
  });
});

describe('app/Dockerfile', () => {
  it('copies from the build context only what .dockerignore lets in', () => {
    const allowed = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1));
    const sources = readFileSync(path.join(ROOT, 'app', 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => !allowed.some((entry) => source === entry || source.startsWith(`${entry}/`)))).toEqual([]);
    expect(sources.filter((source) => !existsSync(path.join(ROOT, source)))).toEqual([]);
  });
});

describe('version pins agree with scripts/versions.env', () => {
  it('compose image tags', () => {
    const images = Object.values(compose.services).flatMap((service) => (service.image ? [service.image] : []));
    expect(images.sort()).toEqual([
      `grafana/grafana:${versions.GRAFANA_VERSION}`,
      `haproxy:${versions.HAPROXY_VERSION}`,
      // The alert receiver runs on the Alertmanager image (its busybox httpd).
      `prom/alertmanager:${versions.ALERTMANAGER_VERSION}`,
      `prom/alertmanager:${versions.ALERTMANAGER_VERSION}`,
      `prom/prometheus:${versions.PROMETHEUS_VERSION}`,
      `prom/statsd-exporter:${versions.STATSD_EXPORTER_VERSION}`,
    ]);
  });

  it("app/Dockerfile's base images", () => {
    const froms = readFileSync(path.join(ROOT, 'app', 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('FROM '))
      .map((line) => line.split(/\s+/)[1]);
    expect(froms.length).toBeGreaterThan(0);
    expect(new Set(froms)).toEqual(new Set([`node:${versions.NODE_VERSION}-${versions.NODE_DEBIAN_SUITE}-slim`]));
  });

  it.each([
    ['STATSD_EXPORTER_BIN', 'STATSD_EXPORTER_VERSION', /^statsd_exporter, version (\S+) /m],
    ['PROMETHEUS_BIN', 'PROMETHEUS_VERSION', /^prometheus, version (\S+) /m],
    ['PROMTOOL_BIN', 'PROMETHEUS_VERSION', /^promtool, version (\S+) /m],
    ['GUNICORN_BIN', 'GUNICORN_VERSION', /^gunicorn \(version (\S+)\)/m],
    // Debian's release of it: 3.0.11-1+deb13u4 is upstream 3.0.11.
    ['HAPROXY_BIN', 'HAPROXY_VERSION', /^HAProxy version (\d+\.\d+\.\d+)-/m],
    ['ALERTMANAGER_BIN', 'ALERTMANAGER_VERSION', /^alertmanager, version (\S+) /m],
    ['AMTOOL_BIN', 'ALERTMANAGER_VERSION', /^amtool, version (\S+) /m],
  ])('$%s --version reports %s', (envVar, pin, pattern) => {
    const pinned = versions[pin].replace(/^v/, '');
    const reported = pattern.exec(run(requireTool(envVar), ['--version']).output)?.[1];
    expect(reported).toBe(pinned);
  });

  it('the Node running these tests is NODE_VERSION, the version the image ships', () => {
    expect(process.version).toBe(`v${versions.NODE_VERSION}`);
  });
});
