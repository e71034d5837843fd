// The command line of `npm run dashboard:png`: defaults, each option, and a message naming the
// option for every wrong one.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../tools/dashboard-png/options';

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
    ['an unknown option', ['--minute', '3'], "Unknown option '--minute'"],
    ['a missing value', ['--minutes'], "Option '--minutes <value>' argument missing (see --help)"],
    ['a positional argument', ['picture.png'], "Unexpected argument 'picture.png'"],
    ['minutes not positive', ['--minutes', '0'], '--minutes must be a positive number, got "0"'],
    ['minutes not a number', ['--minutes', 'five'], '--minutes must be a positive number, got "five"'],
    ['concurrency not whole', ['--concurrency', '2.5'], '--concurrency must be a positive whole number, got "2.5"'],
    ['a scrape interval without a unit', ['--scrape-interval', '5'], '--scrape-interval must be a duration such as 5s, got "5"'],
    ['an empty --out', ['--out='], '--out must name a file, got ""'],
  ])('refuses %s, naming it', (_, argv, message) => {
    expect(() => parseOptions(argv, OUT)).toThrow(message);
  });
});
