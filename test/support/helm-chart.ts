// The Helm chart (deploy/helm/gunicorn-statsd) as the tests render it: with the real helm, at
// the Kubernetes version scripts/versions.env pins, for each of the value sets in its ci/ folder.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { requireTool, ROOT } from '../../harness/stack';
import { runCommand, type CommandResult } from './docker';

export const CHART_DIR = path.join(ROOT, 'deploy', 'helm', 'gunicorn-statsd');
export const RELEASE = 'demo';
export const NAMESPACE = 'shop';

/** A version scripts/versions.env pins, as scripts/env.sh exports it. */
export function pinned(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests after \`. scripts/env.sh\` (npm test does)`);
  return value;
}

export interface ValueSet {
  readonly name: string;
  /** A values file of the chart's ci/ folder, or none for the defaults. */
  readonly file?: string;
}

export const VALUE_SETS: readonly ValueSet[] = [
  { name: 'default' },
  ...readdirSync(path.join(CHART_DIR, 'ci'))
    .filter((file) => file.endsWith('-values.yaml'))
    .map((file) => ({ name: file.replace(/-values\.yaml$/, ''), file: path.join(CHART_DIR, 'ci', file) })),
];

export function valueSet(name: string): ValueSet {
  const found = VALUE_SETS.find((set) => set.name === name);
  if (!found) throw new Error(`no value set ${name} in ${CHART_DIR}/ci`);
  return found;
}

/** `helm template` of the chart with a value set (and more helm arguments); never rejects on failure. */
export function helmTemplate(set: ValueSet, extraArgs: readonly string[] = [], chartDir = CHART_DIR): Promise<CommandResult> {
  return runCommand(requireTool('HELM_BIN'), [
    'template', RELEASE, chartDir,
    '--namespace', NAMESPACE,
    '--kube-version', pinned('KUBERNETES_VERSION'),
    ...(set.file ? ['--values', set.file] : []),
    ...extraArgs,
  ]);
}

/** The rendered manifest of a value set; throws with helm's message when it fails. */
export async function render(set: ValueSet, extraArgs: readonly string[] = [], chartDir = CHART_DIR): Promise<string> {
  const result = await helmTemplate(set, extraArgs, chartDir);
  if (result.code !== 0) throw new Error(`helm template (${set.name}) failed:\n${result.stderr}`);
  return result.stdout;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

export function objectsOf(manifest: string): KubeObject[] {
  return parseAllDocuments(manifest)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

export function objectOf(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** A copy of the chart, its links to the repository's files resolved, in a temporary folder of its own. */
export function chartCopy(): string {
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'chart-')), 'gunicorn-statsd');
  cpSync(CHART_DIR, copy, { recursive: true, dereference: true });
  return copy;
}

/**
 * A copy of the chart with one template edited, for the negative cases: a misspelt field must
 * be caught by whatever validates the rendered objects.
 */
export function chartWithEdit(template: string, from: string, to: string): string {
  const copy = chartCopy();
  const file = path.join(copy, 'templates', template);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${template} has no "${from}" to edit`);
  writeFileSync(file, text.replace(from, to));
  return copy;
}
