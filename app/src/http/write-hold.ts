// Holds back what a connection writes until a response's StatsD lines are in the kernel, so a
// worker killed in between loses a response together with its lines, never the lines alone.
//
// socket.cork() cannot do this: Node's res.end() resets the socket's cork count and uncorks it
// before returning, which hands the response to the kernel right there (libuv tries the write at
// once). What the hold defers instead is the socket's _write/_writev, the methods a Writable calls
// to put its buffered data out: while a hold is on, the one the stream calls is kept, unanswered,
// and the stream buffers every later write behind it as it does behind any write in progress.
// Releasing the last hold runs the kept call, so the bytes go out in the order they were written
// and the stream's own callbacks (res 'finish', then 'close') follow as usual.
import type { Socket } from 'node:net';

/** What the metrics call once the lines of a held response have left (or are lost to an outage). */
export interface Held {
  /** Bound: callable on its own. */
  readonly release: () => void;
}

type WriteCallback = (error?: Error | null) => void;
type Chunks = { chunk: unknown; encoding: BufferEncoding }[];
type Write = (this: Socket, chunk: unknown, encoding: BufferEncoding, callback: WriteCallback) => void;
type Writev = (this: Socket, chunks: Chunks, callback: WriteCallback) => void;

const HOLD = Symbol('writeHold');
type HoldableSocket = Socket & { [HOLD]?: WriteHold };

/** One per connection, made at its first held response: a hold per response costs no allocation. */
class WriteHold implements Held {
  private holds = 0;
  /** The write the stream asked for while held: at most one, the stream waits for its callback. */
  private keptCallback: WriteCallback | null = null;
  private keptChunks: Chunks | null = null;
  private keptChunk: unknown = null;
  private keptEncoding: BufferEncoding = 'utf8';

  /** The connection's own methods (a net.Socket's, or those of whatever stream wraps it). */
  private readonly write: Write;
  private readonly writev: Writev | undefined;

  constructor(private readonly socket: Socket) {
    const hold = this;
    const write = (this.write = socket._write as Write);
    socket._write = function heldWrite(this: Socket, chunk: unknown, encoding: BufferEncoding, callback: WriteCallback) {
      if (hold.holds === 0) {
        write.call(this, chunk, encoding, callback);
        return;
      }
      hold.keptChunk = chunk;
      hold.keptEncoding = encoding;
      hold.keptCallback = callback;
    };
    // A stream without _writev gets none: the stream decides by its presence whether to batch.
    const writev = (this.writev = (socket._writev as Writev | null | undefined) ?? undefined);
    if (writev === undefined) return;
    socket._writev = function heldWritev(this: Socket, chunks: Chunks, callback: WriteCallback) {
      if (hold.holds === 0) {
        writev.call(this, chunks, callback);
        return;
      }
      hold.keptChunks = chunks;
      hold.keptCallback = callback;
    };
  }

  hold(): void {
    this.holds += 1;
  }

  /** Bound once (an arrow function), so that it can be handed over as a send callback as it is. */
  readonly release = (): void => {
    if (this.holds === 0 || (this.holds -= 1) > 0) return;
    const callback = this.keptCallback;
    if (callback === null) return;
    const chunks = this.keptChunks;
    const chunk = this.keptChunk;
    this.keptCallback = null;
    this.keptChunks = null;
    this.keptChunk = null;
    if (chunks !== null && this.writev !== undefined) this.writev.call(this.socket, chunks, callback);
    else this.write.call(this.socket, chunk, this.keptEncoding, callback);
  };
}

/**
 * Holds `socket`'s writes from now until the returned Held is released (holds nest: the socket
 * writes once each one taken has been released). Must be released exactly once.
 */
export function holdWrites(socket: Socket): Held {
  const holdable = socket as HoldableSocket;
  const hold = (holdable[HOLD] ??= new WriteHold(socket));
  hold.hold();
  return hold;
}
