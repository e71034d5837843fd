// Renders latest.md again from latest.json: when only the rendering changes, the tables follow
// without a new run of twenty minutes. The summary is derived again from the raw records.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArgsError, readFlags } from '../harness/command-line';
import { renderMarkdown } from './render';
import { readResults, ResultsFileError } from './results-file';
import { summarise } from './summary';

const USAGE = `Usage: node --require ts-node/register bench/render-latest.ts [--dir DIR]
  --dir DIR  the folder of latest.json; latest.md is written beside it (default bench/results)
  --help     this text`;

/** latest.md as the report renders it from latest.json in `dir`. */
export function renderLatest(dir: string): string {
  const raw = readResults(path.join(dir, 'latest.json'));
  return renderMarkdown(raw, summarise(raw));
}

if (require.main === module) {
  try {
    const flags = readFlags(process.argv.slice(2), { dir: { type: 'string' }, help: { type: 'boolean' } }, USAGE);
    if (flags.boolean('help')) {
      process.stdout.write(`${USAGE}\n`);
    } else {
      const dir = flags.string('dir') ?? path.join(__dirname, 'results');
      writeFileSync(path.join(dir, 'latest.md'), renderLatest(dir));
      process.stderr.write(`bench: wrote ${path.join(dir, 'latest.md')}\n`);
    }
  } catch (error) {
    if (!(error instanceof ArgsError || error instanceof ResultsFileError)) throw error;
    process.stderr.write(`bench/render-latest.ts: ${error.message}\n`);
    process.exitCode = 2;
  }
}
