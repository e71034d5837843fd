// The command line of `npm run dashboard:png`: defaults, each option, and a message naming the
// option for every wrong one.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgsError } from '../../../harness/command-line';
import { parseOptions, USAGE } from '../../../tools/dashboard-png/options';

const OUT = '/tmp/default.png';

describe('parseOptions', () => {
  it('defaults: 5 minutes, 10 users, 5 s scrapes, the default picture', () => {
    expect(parseOptions([], OUT)).toEqual({ help: false, minutes: 5, concurrency: 10, scrapeInterval: '5s', out: OUT });
  });

  it.each([
    ['--minutes 0.5', ['--minutes', '0.5'], { minutes: 0.5 }],
    ['--minutes=2 (inline value)', ['--minutes=2'], { minutes: 2 }],
    ['--concurrency 3', ['--concurrency', '3'], { concurrency: 3 }],
    ['--scrape-interval 500ms', ['--scrape-interval', '500ms'], { scrapeInterval: '500ms' }],
    ['--out, made absolute', ['--out', 'x.png'], { out: path.resolve('x.png') }],
    ['-h', ['-h'], { help: true }],
  ])('%s', (_, argv, expected) => {
    expect(parseOptions(argv, OUT)).toMatchObject(expected);
  });

  it.each([
    ['an unknown option, with the usage', ['--minute', '3'], `unknown option "--minute"\n${USAGE}`],
    ['a missing value', ['--minutes'], '--minutes: missing value'],
    ['a positional argument, with the usage', ['picture.png'], `unexpected argument "picture.png"\n${USAGE}`],
    ['minutes not positive', ['--minutes', '0'], '--minutes: expected a positive number, got "0"'],
    ['minutes negative (a value may start with a dash)', ['--minutes', '-1'], '--minutes: expected a positive number, got "-1"'],
    ['minutes not a number', ['--minutes', 'five'], '--minutes: expected a positive number, got "five"'],
    ['concurrency not whole', ['--concurrency', '2.5'], '--concurrency: expected a positive integer, got "2.5"'],
    ['a scrape interval without a unit', ['--scrape-interval', '5'], '--scrape-interval: expected a duration such as 5s, got "5"'],
    ['an empty --out', ['--out='], '--out: expected a file name, got ""'],
    ['a value given to --help', ['--help=yes'], '--help: takes no value, got "yes"'],
  ])('refuses %s, naming it', (_, argv, message) => {
    expect(() => parseOptions(argv, OUT)).toThrow(new ArgsError(message));
  });
});
