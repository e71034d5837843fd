// The alerting rules Prometheus loads: every rule file prometheus.yml names, read as promtool
// reads them, so a test about "every alert" follows the rule files rather than a list of its own.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ETC } from '../../harness/stack';

export const PROMETHEUS_DIR = path.join(ETC, 'prometheus');

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The rule file, relative to etc/prometheus. */
  readonly file: string;
}

/** Rule files named by prometheus.yml, relative to etc/prometheus. */
export function ruleFiles(): string[] {
  const config = parse(readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as { rule_files?: string[] };
  return config.rule_files ?? [];
}

export function alertingRules(): AlertingRule[] {
  return ruleFiles().flatMap((file) => {
    const { groups } = parse(readFileSync(path.join(PROMETHEUS_DIR, file), 'utf8')) as {
      groups: { rules: ({ alert?: string } & Omit<AlertingRule, 'file' | 'alert'>)[] }[];
    };
    return groups.flatMap((group) =>
      group.rules.flatMap((rule) => (rule.alert ? [{ ...rule, alert: rule.alert, file }] : [])),
    );
  });
}

/** The labels an alert of `rule` carries before its expression adds any: its name and its own labels. */
export function staticLabels(rule: AlertingRule): Record<string, string> {
  return { alertname: rule.alert, ...rule.labels };
}
