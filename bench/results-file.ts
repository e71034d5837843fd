// Reads a results file back as the records of its run, so that latest.md can be rendered again from
// latest.json when only the rendering changes, without a new run of twenty minutes.
import { readFileSync } from 'node:fs';
import { OLDEST_READABLE_SCHEMA, SCHEMA, type RawResults } from './results';

export class ResultsFileError extends Error {
  override readonly name = 'ResultsFileError';
}

/** The raw records of `file` (its stored summary is dropped: the summary is derived again). */
export function readResults(file: string): RawResults {
  const { summary: _summary, ...raw } = JSON.parse(readFileSync(file, 'utf8')) as RawResults & { summary?: unknown };
  if (!Number.isInteger(raw.schema) || raw.schema < OLDEST_READABLE_SCHEMA || raw.schema > SCHEMA) {
    throw new ResultsFileError(
      `${file}: schema ${JSON.stringify(raw.schema)}, expected ${OLDEST_READABLE_SCHEMA} to ${SCHEMA}: run npm run bench for a new one`,
    );
  }
  return raw;
}
