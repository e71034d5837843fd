// harness/command-line.ts: node:util's parseArgs with the project's own message for each bad command line.
import { describe, expect, it } from 'vitest';
import { ArgsError, oneOf, positive, readFlags, type FlagSpec } from '../../harness/command-line';

const SPEC: FlagSpec = { quick: { type: 'boolean', short: 'q' }, duration: { type: 'string' } };
const USAGE = 'Usage: tool [--quick] [--duration S]';

describe('readFlags', () => {
  it.each([
    ['nothing given', [], undefined, false],
    ['a value after the flag', ['--duration', '3'], '3', false],
    ['a value after =', ['--duration=3', '--quick'], '3', true],
    ['the last of a repeated flag', ['--duration', '3', '--duration', '4'], '4', false],
    ['a value starting with a dash (left to the number check)', ['--duration', '-1'], '-1', false],
    ['a switch by its one-letter alias', ['-q'], undefined, true],
  ])('%s', (_name, argv, duration, quick) => {
    const flags = readFlags(argv, SPEC, USAGE);
    expect([flags.string('duration'), flags.boolean('quick')]).toEqual([duration, quick]);
  });

  it.each([
    ['an unknown flag, with the usage', ['--fast'], 'unknown option "--fast"\nUsage: tool [--quick] [--duration S]'],
    ['a flag without its value', ['--duration'], '--duration: missing value'],
    ['a value given to a switch', ['--quick=yes'], '--quick: takes no value, got "yes"'],
    ['a bare argument, with the usage', ['3'], 'unexpected argument "3"\nUsage: tool [--quick] [--duration S]'],
    ['an unknown one-letter flag, with the usage', ['-qx'], 'unknown option "-x"\nUsage: tool [--quick] [--duration S]'],
  ])('rejects %s', (_name, argv, message) => {
    expect(() => readFlags(argv, SPEC, USAGE)).toThrow(new ArgsError(message));
  });
});

describe('positive', () => {
  it.each([
    ['a whole number', '3', true, 3],
    ['a fraction where one is allowed', '0.5', false, 0.5],
  ])('accepts %s', (_name, raw, integer, expected) => {
    expect(positive('--n', raw, integer)).toBe(expected);
  });

  it.each([
    ['a negative number', '-1', false, '--n: expected a positive number, got "-1"'],
    ['a fraction where an integer is due', '1.5', true, '--n: expected a positive integer, got "1.5"'],
    ['blanks', ' ', false, '--n: expected a positive number, got " "'],
    ['a word', 'two', true, '--n: expected a positive integer, got "two"'],
  ])('rejects %s', (_name, raw, integer, message) => {
    expect(() => positive('--n', raw, integer)).toThrow(new ArgsError(message));
  });
});

describe('oneOf', () => {
  it.each([
    ['the first choice when absent', undefined, 'gunicorn'],
    ['a choice given', 'node', 'node'],
  ])('gives %s', (_name, raw, expected) => {
    expect(oneOf('--server', raw, ['gunicorn', 'node'])).toBe(expected);
  });

  it.each([
    ['another word', 'uwsgi', '--server: expected gunicorn or node, got "uwsgi"'],
    ['a choice in other case', 'Node', '--server: expected gunicorn or node, got "Node"'],
    ['an empty value', '', '--server: expected gunicorn or node, got ""'],
  ])('rejects %s, naming the flag, the value and the choices', (_name, raw, message) => {
    expect(() => oneOf('--server', raw, ['gunicorn', 'node'])).toThrow(new ArgsError(message));
  });
});
