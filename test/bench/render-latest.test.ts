// The committed results agree with the code that renders them: latest.md is what the report makes of
// latest.json, byte for byte, and docs/benchmarks.md holds latest.md whole. A results file of a
// schema the report does not read is refused with its name and schema.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderLatest } from '../../bench/render-latest';
import { OLDEST_READABLE_SCHEMA, SCHEMA } from '../../bench/results';
import { readResults, ResultsFileError } from '../../bench/results-file';
import { ROOT } from '../../harness/stack';

const RESULTS = path.join(ROOT, 'bench', 'results');
const LATEST_MD = readFileSync(path.join(RESULTS, 'latest.md'), 'utf8');

describe('the committed results', () => {
  it('latest.md is what the report renders from latest.json, byte for byte', () => {
    expect(renderLatest(RESULTS)).toBe(LATEST_MD);
  });

  it('docs/benchmarks.md holds latest.md whole', () => {
    expect(readFileSync(path.join(ROOT, 'docs', 'benchmarks.md'), 'utf8')).toContain(LATEST_MD);
  });
});

describe('readResults', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-results-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const withSchema = (schema: unknown) => {
    const file = path.join(dir, `schema-${String(schema)}.json`);
    writeFileSync(file, JSON.stringify({ schema, runs: [], summary: { stale: true } }));
    return file;
  };

  it.each([
    ['older than the report reads', OLDEST_READABLE_SCHEMA - 1],
    ['newer than this code', SCHEMA + 1],
    ['missing', undefined],
  ])('refuses a schema %s, naming the file and the schema', (_name, schema) => {
    const file = withSchema(schema);
    expect(() => readResults(file)).toThrow(
      new ResultsFileError(`${file}: schema ${JSON.stringify(schema)}, expected ${OLDEST_READABLE_SCHEMA} to ${SCHEMA}: run npm run bench for a new one`),
    );
  });

  it('returns the raw records without the stored summary, which is derived again', () => {
    expect(readResults(withSchema(SCHEMA))).toEqual({ schema: SCHEMA, runs: [] });
  });
});
