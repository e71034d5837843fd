// The `buffer` packing: the lines queued during one event-loop turn, joined with '\n' into as few
// datagrams as fit, sent at the end of that turn. A response's lines therefore leave within
// microseconds of the response itself (a timer would hold them for its interval, and a worker
// killed in that interval would lose them), and at saturation one turn serves many requests, so
// one datagram carries the lines of many.
//
// hot-shots has a buffer of its own, but after every message it measures the whole buffer again
// (Buffer.byteLength on the grown string, which makes V8 copy it flat): the cost of a line grows
// with the datagram. Here nothing is measured on the way in: the caller, who built the lines,
// knows their size, and a datagram is joined once.

export interface TurnPackerOptions {
  /** The largest datagram to build now (a single longer line still goes, alone). */
  readonly maxDatagramBytes: () => number;
  /** Puts one datagram on the wire; must not throw. */
  readonly send: (datagram: string) => void;
}

export interface TurnPacker {
  /**
   * Queues the lines of one call for the end of this turn, together in one datagram; `bytes` is
   * their UTF-8 length joined with '\n'. Sends the queued datagram first when they would not fit
   * in it; lines too many for any one datagram are spread over several.
   */
  add(lines: readonly string[], bytes: number): void;
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

  function add(lines: readonly string[], bytes: number): void {
    if (queued.length > 0 && queuedBytes + 1 + bytes > limit) drain();
    if (queued.length === 0) {
      limit = maxDatagramBytes();
      if (bytes > limit && lines.length > 1) {
        for (const line of lines) add([line], Buffer.byteLength(line));
        return;
      }
      queuedBytes = bytes;
    } else {
      queuedBytes += 1 + bytes;
    }
    for (const line of lines) queued.push(line);
    if (!endOfTurnScheduled) {
      endOfTurnScheduled = true;
      setImmediate(endOfTurn);
    }
  }

  return { add, drain };
}
