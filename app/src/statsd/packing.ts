// How lines share datagrams (--statsd-packing), and when a response held back for its lines may
// go. The one place the packing mode is read. No sockets and no clock: it calls `send` with the
// datagrams it builds and `atEndOfTurn` for the `buffer` mode's timing, so it is tested as a table
// of calls in and datagrams out.
//
// - `line`: one datagram per line, sent at once, as Gunicorn sends them.
// - `request`: the lines of one call in one datagram, sent at once.
// - `buffer` (the default): the lines given during one event-loop turn, joined with '\n' into as
//   few datagrams as fit, sent at the end of that turn (or sooner, once a datagram is full). A
//   response's lines leave within microseconds of it, and at saturation one turn answers many
//   requests, so one datagram carries the lines of many. Nothing is measured on the way in: the
//   caller knows each text's size, and a datagram is joined once.
//
// A response's connection, held back until its lines are out (`waiting`), is released by the
// callback of the datagram carrying the last of them: the socket layer calls it once that
// datagram is in the kernel, or lost.
import type { StatsdPacking } from './options';

/** Something waiting for lines to leave: released once the datagram carrying them has. */
export interface Releasable {
  /** Callable on its own (bound), so that it can be a send callback as it is. */
  readonly release: () => void;
}

export interface PackingOptions {
  readonly mode: StatsdPacking;
  /** The largest datagram to build now (a single longer line still goes, alone). */
  readonly maxDatagramBytes: () => number;
  /** Puts one datagram on the wire and calls `sent` once it is in the kernel or lost; never throws. */
  readonly send: (datagram: string, sent?: () => void) => void;
  /** Runs `callback` once the current event-loop turn's callbacks are done (setImmediate). */
  readonly atEndOfTurn?: (callback: () => void) => void;
}

export interface Packing {
  /**
   * Hands over `text`, one or more lines joined by '\n' whose UTF-8 length is `bytes`: in one
   * datagram unless the mode sends lines apart, or it would not fit any datagram. `waiting` is
   * released once every one of its lines has left.
   */
  add(text: string, bytes: number, waiting?: Releasable): void;
  /** Sends what is queued now, without waiting for the end of the turn. */
  drain(): void;
}

const NEWLINE = '\n';

export function createPacking(options: PackingOptions): Packing {
  const { send } = options;
  switch (options.mode) {
    case 'line':
      return {
        add(text, _bytes, waiting) {
          if (!text.includes(NEWLINE)) {
            send(text, waiting?.release);
            return;
          }
          // One socket sends in order: once the last line is in the kernel, so are the others.
          const lines = text.split(NEWLINE);
          const last = lines.length - 1;
          for (let i = 0; i < last; i += 1) send(lines[i]);
          send(lines[last], waiting?.release);
        },
        drain() {},
      };
    case 'request':
      return {
        add(text, _bytes, waiting) {
          send(text, waiting?.release);
        },
        drain() {},
      };
    case 'buffer':
      return turnPacking(options);
  }
}

function turnPacking(options: PackingOptions): Packing {
  const { maxDatagramBytes, send } = options;
  const atEndOfTurn = options.atEndOfTurn ?? setImmediate;
  let queued: string[] = [];
  /** Bytes of the queued texts with their separators. */
  let queuedBytes = 0;
  let limit = 0;
  let waitingForDatagram: Releasable[] = [];
  let endOfTurnScheduled = false;

  function drain(): void {
    if (queued.length === 0) return;
    const datagram = queued.length === 1 ? queued[0] : queued.join(NEWLINE);
    queued = [];
    queuedBytes = 0;
    if (waitingForDatagram.length === 0) {
      send(datagram);
      return;
    }
    const waiting = waitingForDatagram;
    waitingForDatagram = [];
    send(datagram, () => {
      for (const each of waiting) each.release();
    });
  }

  const endOfTurn = (): void => {
    endOfTurnScheduled = false;
    drain();
  };

  function add(text: string, bytes: number, waiting?: Releasable): void {
    if (queued.length > 0 && queuedBytes + 1 + bytes > limit) drain();
    if (queued.length === 0) {
      limit = maxDatagramBytes();
      if (bytes > limit && text.includes(NEWLINE)) {
        // Too long for any datagram (very long tags): its lines may be spread over several.
        const lines = text.split(NEWLINE);
        const last = lines.length - 1;
        lines.forEach((line, i) => add(line, Buffer.byteLength(line), i === last ? waiting : undefined));
        return;
      }
      queuedBytes = bytes;
    } else {
      queuedBytes += 1 + bytes;
    }
    queued.push(text);
    if (waiting) waitingForDatagram.push(waiting);
    if (!endOfTurnScheduled) {
      endOfTurnScheduled = true;
      atEndOfTurn(endOfTurn);
    }
  }

  return { add, drain };
}
