// The slow-client check's command line: only --help, anything else refused by name.
import { describe, expect, it } from 'vitest';
import { ArgsError } from '../../harness/command-line';
import { parseOptions, USAGE } from '../../tools/slowloris';

describe('slowloris parseOptions', () => {
  it.each([
    ['no arguments', [], { help: false }],
    ['--help', ['--help'], { help: true }],
    ['-h', ['-h'], { help: true }],
  ])('%s', (_, argv, expected) => {
    expect(parseOptions(argv)).toEqual(expected);
  });

  it.each([
    ['an option it does not take, with the usage', ['--seconds', '10'], `unknown option "--seconds"\n${USAGE}`],
    ['a positional argument, with the usage', ['127.0.0.1'], `unexpected argument "127.0.0.1"\n${USAGE}`],
    ['an unknown short option, with the usage', ['-x'], `unknown option "-x"\n${USAGE}`],
  ])('refuses %s, naming it', (_, argv, message) => {
    expect(() => parseOptions(argv)).toThrow(new ArgsError(message));
  });
});
