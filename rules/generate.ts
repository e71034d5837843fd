// Writes etc/prometheus/rules.yml from etc/prometheus/apps.yml (and the duration buckets of the
// statsd_exporter mapping, which latency thresholds must be). `--check` writes nothing and exits 1
// when the committed file differs from the generated one. A bad apps.yml exits 1 with one line
// naming the app, the setting and the value; any other argument exits 2, named, before anything is read.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readFlagsOrExit } from '../harness/command-line';
import { AppsError, durationBuckets, parseApps } from './apps';
import { rulesYaml } from './rules';

const ETC = path.resolve(__dirname, '..', 'etc');
export const APPS_YAML = path.join(ETC, 'prometheus', 'apps.yml');
export const RULES_YAML = path.join(ETC, 'prometheus', 'rules.yml');
export const MAPPING = path.join(ETC, 'statsd-exporter', 'statsd.conf');

export const USAGE = `Usage: npm run rules:generate [-- --check]
  --check   write nothing; exit 1 when the committed rules.yml differs from the generated one
`;

/** The rules text for an apps.yml text, against the committed mapping's buckets. */
export function generateRules(appsText: string, mappingText = readFileSync(MAPPING, 'utf8')): string {
  return rulesYaml(parseApps(appsText, durationBuckets(mappingText)));
}

function main(args: readonly string[]): number {
  const check = readFlagsOrExit('rules/generate.ts', args, { check: { type: 'boolean' } }, USAGE).boolean('check');
  let text: string;
  try {
    text = generateRules(readFileSync(APPS_YAML, 'utf8'));
  } catch (error) {
    if (!(error instanceof AppsError)) throw error;
    console.error(`Error: ${path.relative(process.cwd(), APPS_YAML)}: ${error.message}`);
    return 1;
  }
  if (check) {
    if (readFileSync(RULES_YAML, 'utf8') === text) return 0;
    console.error(`${RULES_YAML} differs from what ${APPS_YAML} generates: run \`npm run rules:generate\``);
    return 1;
  }
  writeFileSync(RULES_YAML, text);
  console.log(`wrote ${path.relative(process.cwd(), RULES_YAML)}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
