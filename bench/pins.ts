// The versions scripts/versions.env pins (what install-tools.sh installed), so that the results name
// the programs measured at the versions that ran, never a version written down by hand.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../harness/stack';

/** NAME=value lines of scripts/versions.env, by name. */
export function pinnedVersions(): Readonly<Record<string, string>> {
  return Object.fromEntries(
    readFileSync(path.join(ROOT, 'scripts', 'versions.env'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1], match[2]]),
  );
}
