// Conformance with the real thing: real Gunicorn 27.0.1 (serving conformance/flask_app.py) and the
// Node app go through the same scenario with the same prefix and tags, and must send the same
// StatsD lines, in the same order, durations masked. Gunicorn's lines are committed as
// conformance/reference/<variant>.txt; re-capturing proves the reference is real and current.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capture, NODE_APP_ENTRY, readReference, VARIANTS, type Capture } from '../../conformance/capture';
import { requireTool } from '../../harness/stack';

const TIMEOUT_MS = 120_000;

/** The lines, plus everything that explains a mismatch when they differ. */
function report(result: Capture): { lines: string[]; notes: string[]; exitCode: number | string } {
  return { lines: result.lines, notes: result.notes, exitCode: result.exitCode };
}

function expected(lines: string[]): { lines: string[]; notes: string[]; exitCode: number | string } {
  return { lines, notes: [], exitCode: 0 };
}

const cases = VARIANTS.map((variant) => ({
  variant,
  flags: `--statsd-prefix '${variant.prefix}'${variant.tags === undefined ? '' : ` --dogstatsd-tags ${variant.tags}`}`,
}));

describe.each(cases)('conformance $variant.name: $flags', ({ variant }) => {
  it('real Gunicorn still sends exactly the committed reference, one line per datagram', { timeout: TIMEOUT_MS }, async () => {
    requireTool('GUNICORN_BIN');
    const result = await capture('gunicorn', variant);
    expect(report(result), result.output).toEqual(expected(readReference(variant)));
    expect(result.datagrams.filter((datagram) => datagram.includes('\n'))).toEqual([]);
  });

  it('the Node app sends the same lines as real Gunicorn', { timeout: TIMEOUT_MS }, async () => {
    if (!existsSync(NODE_APP_ENTRY)) throw new Error(`${NODE_APP_ENTRY} is missing: run \`npm run build\` first`);
    const result = await capture('node', variant);
    expect(report(result), result.output).toEqual(expected(readReference(variant)));
  });
});
