// etc/alertmanager/alertmanager.yml checked by the program that ships with it: amtool accepts it,
// routes every alert of the rule files (labels read from those files) to the receiver its
// severity names, routes what the tree does not know to the default, and rejects broken copies
// with a message naming the problem.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_CONFIG } from '../../harness/alertmanager';
import { requireTool } from '../../harness/stack';
import { alertingRules, staticLabels } from '../support/alert-rules';

/** The policy under test: who is told, by severity; the Watchdog feeds the heartbeat. */
const RECEIVER_BY_SEVERITY: Readonly<Record<string, string>> = { critical: 'page', warning: 'ticket' };
const receiverFor = (labels: Record<string, string>) =>
  labels.alertname === 'Watchdog' ? 'heartbeat' : RECEIVER_BY_SEVERITY[labels.severity] ?? `no receiver for severity ${labels.severity}`;

function amtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(requireTool('AMTOOL_BIN'), args, { encoding: 'utf8' });
  if (result.error) throw new Error(`amtool could not run: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `amtool config routes test --verify.receivers`: exit 0 only when the labels reach exactly `receiver`. */
function routesTo(labels: Record<string, string>, receiver: string, config = ALERTMANAGER_CONFIG) {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}=${value}`);
  return amtool(['config', 'routes', 'test', `--config.file=${config}`, `--verify.receivers=${receiver}`, ...pairs]);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'alertmanager-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function brokenCopy(from: string, to: string): string {
  const text = readFileSync(ALERTMANAGER_CONFIG, 'utf8');
  if (!text.includes(from)) throw new Error(`alertmanager.yml no longer contains ${JSON.stringify(from)}: update this test`);
  const copy = path.join(scratch, 'alertmanager.yml');
  writeFileSync(copy, text.replace(from, () => to));
  return copy;
}

describe('amtool check-config', () => {
  it('accepts the committed alertmanager.yml: the tree, two inhibit rules, three receivers', () => {
    const result = amtool(['check-config', ALERTMANAGER_CONFIG]);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.output).toMatch(/- route\n - 2 inhibit rules\n - 3 receivers\n/);
    expect(result.status).toBe(0);
  });

  it('rejects a route to a receiver that does not exist, naming it', () => {
    const result = amtool(['check-config', brokenCopy('      receiver: page\n', '      receiver: pager\n')]);
    expect(result.output).toMatch(/FAILED: undefined receiver "pager" used in route/);
    expect(result.status).toBe(1);
  });

  it('rejects a misspelled field, naming it', () => {
    const result = amtool(['check-config', brokenCopy('  group_wait: 30s\n', '  group_wiat: 30s\n')]);
    expect(result.output).toMatch(/FAILED: yaml: unmarshal errors:\n\s+line \d+: field group_wiat not found/);
    expect(result.status).toBe(1);
  });

  it('rejects a matcher that does not parse, quoting the bad part', () => {
    const result = amtool(['check-config', brokenCopy(`['severity="critical"']`, `['severity=="critical"']`)]);
    expect(result.output).toMatch(/FAILED: matcher value contains unescaped double quote: ="critical"/);
    expect(result.status).toBe(1);
  });
});

describe('amtool config routes test', () => {
  const rules = alertingRules();

  it('knows every alert of the rule files, Watchdog and the pipeline alerts included', () => {
    const names = rules.map((rule) => rule.alert);
    expect(names).toEqual(expect.arrayContaining(['Watchdog', 'StatsdExporterDown', 'GunicornRequestMetricsAbsent', 'AlertmanagerFailedReload']));
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(rules.map((rule) => [rule.alert, rule.file, staticLabels(rule)] as const))(
    '%s (%s) reaches the receiver its labels name',
    (_alert, _file, labels) => {
      const receiver = receiverFor(labels);
      const result = routesTo({ ...labels, app: 'flask_app' }, receiver);
      expect(result.output.trim()).toBe(receiver);
      expect(result.status).toBe(0);
    },
  );

  it.each([
    ['an unknown severity goes to the default (ticket), not nowhere', { alertname: 'Something', severity: 'info' }, 'ticket'],
    ['no severity at all goes to the default (ticket)', { alertname: 'Something' }, 'ticket'],
    ['a Watchdog, whatever its severity, only feeds the heartbeat', { alertname: 'Watchdog', severity: 'critical' }, 'heartbeat'],
    ['a critical alert is not also a ticket', { alertname: 'StatsdExporterDown', severity: 'critical' }, 'page'],
  ])('%s', (_case, labels: Record<string, string>, receiver) => {
    const result = routesTo(labels, receiver);
    expect(result.output.trim()).toBe(receiver);
    expect(result.status).toBe(0);
  });

  it('fails the verification when the labels reach another receiver, naming what it expected', () => {
    const result = routesTo({ alertname: 'StatsdExporterDown', severity: 'critical' }, 'ticket');
    expect(result.output).toMatch(/^page\nWARNING: Expected receivers did not match resolved receivers\./);
    expect(result.status).toBe(1);
  });
});
