// bench/args.ts: the full run's defaults, --quick, explicit flags over --quick, and one message per bad flag.
import { describe, expect, it } from 'vitest';
import { FULL, parseBenchArgs, QUICK } from '../../bench/args';
import { ArgsError } from '../../harness/command-line';

const OUT = '/tmp/bench-out';
const QUICK_OUT = '/tmp/bench-quick-out';
const OUTS = { full: OUT, quick: QUICK_OUT };

describe('parseBenchArgs', () => {
  it.each([
    ['no flags: the full run', [], { ...FULL, quick: false, outDir: OUT }],
    ['--quick: short durations, results out of the committed directory', ['--quick'], { ...QUICK, quick: true, outDir: QUICK_OUT }],
    ['explicit flags win over --quick', ['--quick', '--duration', '3', '--pairs=2'], { ...QUICK, quick: true, durationS: 3, pairs: 2, outDir: QUICK_OUT }],
    ["--out wins over the smoke run's directory", ['--quick', '--out', '/x'], { ...QUICK, quick: true, outDir: '/x' }],
    ['--help', ['--help'], 'help'],
    ['--workers: sorted, duplicates dropped', ['--workers', '2,1,2'], { ...FULL, quick: false, workers: [1, 2], outDir: OUT }],
    ['--quads', ['--quads', '8'], { ...FULL, quick: false, quads: 8, outDir: OUT }],
    ['--lossless-duration and --out', ['--lossless-duration', '5', '--out', '/x'], { ...FULL, quick: false, losslessS: 5, outDir: '/x' }],
  ])('%s', (_name, argv, expected) => {
    expect(parseBenchArgs(argv, OUTS)).toEqual(expected);
  });

  it.each([
    ['a zero duration', ['--duration', '0'], '--duration: expected a positive number, got "0"'],
    ['a fractional pair count', ['--pairs', '1.5'], '--pairs: expected a positive integer, got "1.5"'],
    ['a zero quad count', ['--quads', '0'], '--quads: expected a positive integer, got "0"'],
    ['a worker list with a word', ['--workers', '1,two'], '--workers: expected a positive integer, got "two"'],
    ['a flag without its value', ['--duration'], '--duration: missing value'],
  ])('rejects %s', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv, OUTS)).toThrow(new ArgsError(message));
  });

  it('rejects an unknown flag, showing the usage', () => {
    expect(() => parseBenchArgs(['--fast'], OUTS)).toThrow(/unknown option "--fast"\nUsage: npm run bench/);
  });
});
