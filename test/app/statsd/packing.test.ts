// The packing as a table: texts handed over (with the responses waiting for them) in, datagrams
// out, and when each waiting response is let go. No socket: `send` records, and the end of the
// turn is run by the test.
import { describe, expect, it } from 'vitest';
import type { StatsdPacking } from '../../../app/src/config';
import { createPacking, type Releasable } from '../../../app/src/statsd/packing';

/** What the packing did, in order: a datagram sent (with the responses its callback releases), a release. */
type Event = string;

interface Call {
  readonly text: string;
  /** A response waiting for this text's lines. */
  readonly waiting?: string;
}

function run(mode: StatsdPacking, turns: readonly (readonly Call[])[], maxDatagramBytes = 40): Event[] {
  const events: Event[] = [];
  const sendCallbacks: (() => void)[] = [];
  let endOfTurn: (() => void) | null = null;
  const packing = createPacking({
    mode,
    maxDatagramBytes: () => maxDatagramBytes,
    send: (datagram, sent) => {
      events.push(`send ${JSON.stringify(datagram)}`);
      if (sent) sendCallbacks.push(sent);
    },
    atEndOfTurn: (callback) => {
      if (endOfTurn !== null) throw new Error('the end of the turn was scheduled twice');
      endOfTurn = callback;
    },
  });
  const held = (name: string): Releasable => ({ release: () => events.push(`release ${name}`) });
  for (const turn of turns) {
    for (const { text, waiting } of turn) packing.add(text, Buffer.byteLength(text), waiting === undefined ? undefined : held(waiting));
    const end = endOfTurn as (() => void) | null;
    endOfTurn = null;
    end?.();
    // The socket calls back once the datagrams are in the kernel: after the turn's sends.
    for (const callback of sendCallbacks.splice(0)) callback();
  }
  return events;
}

const TRIPLE = 'd:1.0|ms\nr:1|c|@1.0\ns:1|c|@1.0';

describe('line: one datagram per line, at once, as Gunicorn', () => {
  it.each([
    ['a single line', [[{ text: 'w:2|g' }]], ['send "w:2|g"']],
    ['a triple: three datagrams, the response released after the last', [[{ text: TRIPLE, waiting: 'A' }]], [
      'send "d:1.0|ms"', 'send "r:1|c|@1.0"', 'send "s:1|c|@1.0"', 'release A',
    ]],
  ] as const)('%s', (_name, turns, expected) => {
    expect(run('line', turns)).toEqual(expected);
  });
});

describe('request: one datagram per call, at once', () => {
  it.each([
    ['two calls in one turn: two datagrams, each response released by its own', [[{ text: TRIPLE, waiting: 'A' }, { text: 'w:2|g' }, { text: 'x:1|c', waiting: 'B' }]], [
      `send ${JSON.stringify(TRIPLE)}`, 'send "w:2|g"', 'send "x:1|c"', 'release A', 'release B',
    ]],
  ] as const)('%s', (_name, turns, expected) => {
    expect(run('request', turns)).toEqual(expected);
  });
});

describe('buffer: one turn\'s texts in as few datagrams as fit, at the end of the turn', () => {
  it.each([
    ['nothing handed over: nothing sent', [[]], []],
    ['one turn: one datagram, every waiting response released after it', [[
      { text: 'a:1|c', waiting: 'A' }, { text: 'w:2|g' }, { text: 'b:1|c', waiting: 'B' },
    ]], ['send "a:1|c\\nw:2|g\\nb:1|c"', 'release A', 'release B']],
    ['two turns: two datagrams', [[{ text: 'a:1|c', waiting: 'A' }], [{ text: 'b:1|c', waiting: 'B' }]], [
      'send "a:1|c"', 'release A', 'send "b:1|c"', 'release B',
    ]],
    ['full at exactly the limit (11 + 1 + 11 + 1 + 11 + 1 + 4 = 40 bytes)', [[
      { text: 'aaaaaaaaaa1' }, { text: 'aaaaaaaaaa2' }, { text: 'aaaaaaaaaa3' }, { text: 'w:2g' }, { text: 'next' },
    ]], ['send "aaaaaaaaaa1\\naaaaaaaaaa2\\naaaaaaaaaa3\\nw:2g"', 'send "next"']],
    ['a text that does not fit the queued datagram sends it first; each response waits for its own datagram', [[
      { text: 'x'.repeat(30), waiting: 'A' }, { text: 'y'.repeat(20), waiting: 'B' },
    ]], [`send "${'x'.repeat(30)}"`, `send "${'y'.repeat(20)}"`, 'release A', 'release B']],
    ['a triple longer than any datagram: its lines spread over datagrams, the response released after the last', [[
      { text: `${'d'.repeat(25)}\n${'r'.repeat(10)}\n${'s'.repeat(25)}`, waiting: 'A' },
    ]], [`send "${'d'.repeat(25)}\\n${'r'.repeat(10)}"`, `send "${'s'.repeat(25)}"`, 'release A']],
    ['a single line longer than any datagram goes alone', [[{ text: 'z'.repeat(50), waiting: 'A' }]], [
      `send "${'z'.repeat(50)}"`, 'release A',
    ]],
  ] as const)('%s', (_name, turns, expected) => {
    expect(run('buffer', turns)).toEqual(expected);
  });

  it('drain() sends the queued datagram before the end of the turn', () => {
    const sent: string[] = [];
    const packing = createPacking({ mode: 'buffer', maxDatagramBytes: () => 100, send: (datagram) => sent.push(datagram), atEndOfTurn: () => {} });
    packing.add('a:1|c', 5);
    packing.add('b:1|c', 5);
    packing.drain();
    packing.drain();
    expect(sent).toEqual(['a:1|c\nb:1|c']);
  });
});
