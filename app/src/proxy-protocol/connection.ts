// --proxy-protocol on a listening http.Server: each new connection's first bytes are read here,
// and only then handed, without its PROXY header, to Node's HTTP parser. A refused header gets
// Gunicorn's answer (400 or 403, its page, "Invalid request from ip=<peer>: …" as a counted
// warning; for a malformed v2 header Gunicorn's 500 and a counted exception) and the connection
// closes without a request being read or counted.
import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLogger } from '../logger';
import { gunicornErrorResponse } from '../http/error-page';
import type { AllowList } from './allow-list';
import { rememberProxied } from './client-address';
import { ForbiddenProxyRequest, judgeConnectionStart, type HeaderMode, type InvalidProxyLine } from './header';

export interface ProxyProtocolOptions {
  readonly mode: HeaderMode;
  readonly allowList: AllowList;
  readonly logger: Pick<ServerLogger, 'warning' | 'exception' | 'debug'>;
}

function refusal(error: InvalidProxyLine | ForbiddenProxyRequest): Buffer {
  // Gunicorn's handle_error(): the message in the page is quoted again for an invalid line.
  return error instanceof ForbiddenProxyRequest
    ? gunicornErrorResponse(403, 'Forbidden', 'Request forbidden')
    : gunicornErrorResponse(400, 'Bad Request', `'${error.message}'`);
}

/**
 * Puts the header reading in front of `server`'s HTTP parser. Call it before adding 'connection'
 * listeners of your own: Node's parser is the server's only one until then.
 */
export function acceptProxyProtocol(server: http.Server, options: ProxyProtocolOptions): void {
  const parsers = server.listeners('connection') as Array<(socket: Socket) => void>;
  if (parsers.length !== 1) throw new Error('acceptProxyProtocol: expected the HTTP parser as the only connection listener');
  const [parseHttp] = parsers;
  server.removeListener('connection', parseHttp);
  server.on('connection', (socket: Socket) => {
    // The peer's address is read at once: Node asks the kernel for it (getpeername) on first use,
    // which fails once the peer has reset the connection, and a proxy resets the connections its
    // own clients abandon, often right after the header. Read later, an allowed proxy would look
    // like an unknown peer and be refused. (Gunicorn has the address from accept().)
    const peer = socket.remoteAddress;
    if (peer === undefined) {
      // Reset before it could be asked: nothing can be answered, and with no peer to check
      // against the allow list, no byte of it is read.
      options.logger.debug('Client connection reset before its address could be read');
      socket.destroy();
      return;
    }
    readConnectionStart(socket, peer, options, server.headersTimeout, () => parseHttp.call(server, socket));
  });
}

function readConnectionStart(socket: Socket, peer: string, options: ProxyProtocolOptions, timeoutMs: number, serve: () => void): void {
  // The first bytes are judged as they come; they are copied aside only if more must follow.
  const pending = new GrowingBuffer();
  // Until its first bytes are read the connection is not the HTTP parser's, so the server's
  // headersTimeout does not cover it yet: the same deadline applies here.
  const timer = setTimeout(() => {
    stopReading();
    options.logger.debug(`No request within ${timeoutMs} ms of connecting: ip=${peer}`);
    socket.destroy();
  }, timeoutMs);
  const stopReading = () => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
  };
  // Reset or broken before the HTTP parser (which handles its own) was attached.
  const onError = (error: Error) => {
    stopReading();
    options.logger.debug(`Client connection failed before a request was read: ${error.message}`);
    socket.destroy();
  };
  const onEnd = () => {
    // Gunicorn: "Ignored premature client disconnection"; nothing answered, nothing counted.
    stopReading();
    options.logger.debug(`Client closed the connection before a request was read: ip=${peer}`);
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    const judged = pending.length;
    const bytes = judged === 0 ? chunk : pending.append(chunk);
    const verdict = judgeConnectionStart(bytes, peer, options.allowList.allows, options.mode, judged);
    if (verdict.kind === 'need-more') {
      if (judged === 0) pending.append(chunk);
      return;
    }
    stopReading();
    if (verdict.kind === 'refused') {
      options.logger.warning(`Invalid request from ip=${peer}: ${verdict.error.message}`);
      // onError stays: the client may reset the connection before it reads the answer.
      socket.end(refusal(verdict.error));
      return;
    }
    if (verdict.kind === 'failed') {
      // Gunicorn's handle_error() for an exception it does not take for the client's: no request
      // was read, so none is named.
      options.logger.exception('Error handling request (no URI read)', verdict.error);
      socket.end(gunicornErrorResponse(500, 'Internal Server Error', ''));
      return;
    }
    socket.removeListener('error', onError);
    socket.pause();
    if (verdict.kind === 'proxied') {
      rememberProxied(socket, verdict.addresses);
      if (verdict.rest.length > 0) socket.unshift(verdict.rest);
    } else {
      socket.unshift(bytes);
    }
    serve();
    socket.resume();
  };
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.on('error', onError);
}

/** Bytes appended in place, the room doubled when full, so a header read in many pieces costs linear time. */
class GrowingBuffer {
  private storage = Buffer.alloc(0);
  length = 0;

  /** Appends `chunk` and returns every byte so far. */
  append(chunk: Buffer): Buffer {
    if (this.length + chunk.length > this.storage.length) {
      const larger = Buffer.allocUnsafe(Math.max(2 * this.storage.length, this.length + chunk.length, 256));
      this.storage.copy(larger, 0, 0, this.length);
      this.storage = larger;
    }
    chunk.copy(this.storage, this.length);
    this.length += chunk.length;
    return this.storage.subarray(0, this.length);
  }
}
