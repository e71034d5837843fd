// Holds back what a connection writes until a response's StatsD lines are in the kernel, so a
// worker killed in between loses a response together with its lines, never the lines alone.
//
// socket.cork() cannot do this: Node's res.end() resets the socket's cork count and uncorks it
// before returning, which hands the response to the kernel right there (libuv tries the write at
// once). What the hold takes over instead is the socket's _write/_writev, the methods a Writable
// calls to put its buffered data out: while a hold is on, the bytes handed to them are kept, in
// order, and releasing the last hold writes them with the connection's own methods.
//
// The stream is told at once that the kept bytes are written, so the response finishes ('finish',
// then 'close') without waiting for the release. Until the stream's write callback runs, the
// response, its request and all they reference stay reachable (the connection points at its
// response until it finishes): holding them to the end of the turn would keep every response of
// a busy turn alive through the young generation's collections, which then copy and promote them,
// and that costs more than everything else the hold does. Only the bytes wait.
//
// As the response has finished, whoever waits for it may end or close its connection before the
// release, and must not cut the kept bytes off: the end of a connection that closes after its
// response (connection: close, its _final, which shuts the sending side) and a plain destroy()
// (a stopping worker closing idle connections) wait behind them. A destroy for an error (the
// client reset the connection) loses them at once; the response's lines go anyway, so that
// request is counted and not answered, the side to err on. A write that fails after the release
// destroys the connection with its error, as the stream itself does when its write fails.
import type { Socket } from 'node:net';

/** What the metrics call once the lines of a held response have left (or are lost to an outage). */
export interface Held {
  /** Bound: callable on its own. */
  readonly release: () => void;
}

type WriteCallback = (error?: Error | null) => void;
interface Chunk { chunk: unknown; encoding: BufferEncoding }
type Write = (this: Socket, chunk: unknown, encoding: BufferEncoding, callback: WriteCallback) => void;
type Writev = (this: Socket, chunks: Chunk[], callback: WriteCallback) => void;
type Final = (this: Socket, callback: WriteCallback) => void;

const HOLD = Symbol('writeHold');
type HoldableSocket = Socket & { [HOLD]?: WriteHold };

/** One per connection, made at its first held response, so the connection's methods are wrapped once. */
class WriteHold implements Held {
  private holds = 0;
  /** What the stream wrote while held, in order: only chunk and encoding, none of its callbacks. */
  private kept: Chunk[] = [];
  /** The stream's end (its _final), asked for while held: it goes after the kept bytes. */
  private keptFinal: WriteCallback | null = null;
  /** destroy() was called while bytes were kept: it comes once they are written. */
  private keptDestroy = false;

  /** The connection's own methods (a net.Socket's, or those of whatever stream wraps it). */
  private readonly write: Write;
  private readonly writev: Writev | undefined;
  private readonly final: Final | undefined;
  private readonly destroy: Socket['destroy'];

  constructor(private readonly socket: Socket) {
    const hold = this;
    const write = (this.write = socket._write as Write);
    socket._write = function heldWrite(this: Socket, chunk: unknown, encoding: BufferEncoding, callback: WriteCallback) {
      if (hold.holds === 0) {
        write.call(this, chunk, encoding, callback);
        return;
      }
      hold.kept.push({ chunk, encoding });
      callback();
    };
    const destroy = (this.destroy = socket.destroy);
    socket.destroy = function heldDestroy(this: Socket, error?: Error) {
      if (error === undefined && hold.kept.length > 0) {
        hold.keptDestroy = true;
        return this;
      }
      return destroy.call(this, error);
    };
    const final = (this.final = (socket._final as Final | undefined) ?? undefined);
    if (final !== undefined) {
      socket._final = function heldFinal(this: Socket, callback: WriteCallback) {
        if (hold.holds === 0) {
          final.call(this, callback);
          return;
        }
        hold.keptFinal = callback;
      };
    }
    // A stream without _writev gets none: the stream decides by its presence whether to batch.
    const writev = (this.writev = (socket._writev as Writev | null | undefined) ?? undefined);
    if (writev === undefined) return;
    socket._writev = function heldWritev(this: Socket, chunks: Chunk[], callback: WriteCallback) {
      if (hold.holds === 0) {
        writev.call(this, chunks, callback);
        return;
      }
      for (const { chunk, encoding } of chunks) hold.kept.push({ chunk, encoding });
      callback();
    };
  }

  hold(): void {
    this.holds += 1;
  }

  /** Bound once (an arrow function), so that it can be handed over as a send callback as it is. */
  readonly release = (): void => {
    if (this.holds === 0 || (this.holds -= 1) > 0) return;
    const kept = this.kept;
    if (kept.length === 0) {
      this.endIfAsked();
      return;
    }
    this.kept = [];
    if (this.socket.destroyed) return;
    if (this.writev !== undefined && kept.length > 1) this.writev.call(this.socket, kept, this.written);
    else this.writeEach(kept, 0);
  };

  /** Without _writev, one chunk at a time, each once the one before is written. */
  private writeEach(kept: Chunk[], index: number): void {
    const { chunk, encoding } = kept[index];
    const last = index === kept.length - 1;
    this.write.call(this.socket, chunk, encoding, last ? this.written : (error) => {
      if (error) this.destroy.call(this.socket, error);
      else this.writeEach(kept, index + 1);
    });
  }

  private readonly written = (error?: Error | null): void => {
    if (error) this.destroy.call(this.socket, error);
    else if (this.keptDestroy && this.kept.length === 0) {
      this.keptDestroy = false;
      this.destroy.call(this.socket);
    } else this.endIfAsked();
  };

  /** Ends the connection if the stream asked to while held, and nothing is held or kept any more. */
  private endIfAsked(): void {
    const callback = this.keptFinal;
    if (callback === null || this.holds > 0 || this.kept.length > 0 || this.final === undefined) return;
    this.keptFinal = null;
    this.final.call(this.socket, callback);
  }
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
