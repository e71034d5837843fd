// The `buffer` packing: the lines queued during one event-loop turn, joined with '\n' into as few
// datagrams as fit, sent at the end of that turn. A response's lines therefore leave within
// microseconds of the response itself (a timer would hold them for its interval, and a worker
// killed in that interval would lose them), and at saturation one turn serves many requests, so
// one datagram carries the lines of many.
//
// hot-shots has a buffer of its own, but after every message it measures the whole buffer again
// (Buffer.byteLength on the grown string, which makes V8 copy it flat): the cost of a line grows
// with the datagram. Here each line is measured once and a datagram is joined once.

export interface TurnPackerOptions {
  /** The largest datagram to build now (a single longer line still goes, alone). */
  readonly maxDatagramBytes: () => number;
  /** Puts one datagram on the wire; must not throw. */
  readonly send: (datagram: string) => void;
}

export interface TurnPacker {
  /** Queues lines for the end of this turn; sends a datagram first when they would not fit in it. */
  add(lines: readonly string[]): void;
  /** Sends what is queued now, without waiting for the end of the turn. */
  drain(): void;
}

export function createTurnPacker(options: TurnPackerOptions): TurnPacker {
  const { maxDatagramBytes, send } = options;
  let queued: string[] = [];
  /** Bytes of the queued lines with their separators. */
  let queuedBytes = 0;
  let limit = 0;
  let endOfTurnScheduled = false;

  function drain(): void {
    if (queued.length === 0) return;
    const datagram = queued.length === 1 ? queued[0] : queued.join('\n');
    queued = [];
    queuedBytes = 0;
    send(datagram);
  }

  const endOfTurn = (): void => {
    endOfTurnScheduled = false;
    drain();
  };

  return {
    add(lines) {
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        if (queued.length > 0 && queuedBytes + 1 + bytes > limit) drain();
        if (queued.length === 0) limit = maxDatagramBytes();
        queuedBytes += queued.length === 0 ? bytes : 1 + bytes;
        queued.push(line);
      }
      if (!endOfTurnScheduled) {
        endOfTurnScheduled = true;
        setImmediate(endOfTurn);
      }
    },
    drain,
  };
}
