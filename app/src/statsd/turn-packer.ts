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

/** Something waiting for lines to leave: released once the datagram carrying them has. */
export interface Releasable {
  /** Callable on its own (bound), so that it can be a send callback as it is. */
  readonly release: () => void;
}

export interface TurnPackerOptions {
  /** The largest datagram to build now (a single longer line still goes, alone). */
  readonly maxDatagramBytes: () => number;
  /** Puts one datagram on the wire and calls `sent` once it is in the kernel (or lost); must not throw. */
  readonly send: (datagram: string, sent?: () => void) => void;
}

export interface TurnPacker {
  /**
   * Queues the lines of one call for the end of this turn, together in one datagram; `bytes` is
   * their UTF-8 length joined with '\n'. Sends the queued datagram first when they would not fit
   * in it; lines too many for any one datagram are spread over several. `waiting` is released
   * once the datagram holding the last of them has been handed to the kernel.
   */
  add(lines: readonly string[], bytes: number, waiting?: Releasable): void;
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
  let waitingForDatagram: Releasable[] = [];

  function drain(): void {
    if (queued.length === 0) return;
    const datagram = queued.length === 1 ? queued[0] : queued.join('\n');
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

  function add(lines: readonly string[], bytes: number, waiting?: Releasable): void {
    if (queued.length > 0 && queuedBytes + 1 + bytes > limit) drain();
    if (queued.length === 0) {
      limit = maxDatagramBytes();
      if (bytes > limit && lines.length > 1) {
        const last = lines.length - 1;
        lines.forEach((line, i) => add([line], Buffer.byteLength(line), i === last ? waiting : undefined));
        return;
      }
      queuedBytes = bytes;
    } else {
      queuedBytes += 1 + bytes;
    }
    for (const line of lines) queued.push(line);
    if (waiting) waitingForDatagram.push(waiting);
    if (!endOfTurnScheduled) {
      endOfTurnScheduled = true;
      setImmediate(endOfTurn);
    }
  }

  return { add, drain };
}
