// The slow-client check's command line: only --help, anything else refused by name.
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../tools/slowloris';

describe('slowloris parseOptions', () => {
  it.each([
    ['no arguments', [], { help: false }],
    ['--help', ['--help'], { help: true }],
    ['-h', ['-h'], { help: true }],
  ])('%s', (_, argv, expected) => {
    expect(parseOptions(argv)).toEqual(expected);
  });

  it.each([
    ['an option it does not take', ['--seconds', '10'], "Unknown option '--seconds'"],
    ['a positional argument', ['127.0.0.1'], "Unexpected argument '127.0.0.1'"],
  ])('refuses %s, naming it', (_, argv, message) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
