// --proxy-protocol on a listening http.Server: each new connection's first bytes are read here,
// and only then handed, without its PROXY header, to Node's HTTP parser. A refused header gets
// Gunicorn's answer (400 or 403, its page, "Invalid request from ip=<peer>: …" as a counted
// warning) and the connection closes without a request being read or counted.
import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLogger } from '../logger';
import { gunicornErrorResponse } from '../http/error-page';
import type { AllowList } from './allow-list';
import { rememberProxied } from './client-address';
import { ForbiddenProxyRequest, judgeConnectionStart, type InvalidProxyLine } from './header';

export interface ProxyProtocolOptions {
  readonly allowList: AllowList;
  readonly logger: Pick<ServerLogger, 'warning' | 'debug'>;
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
    readConnectionStart(socket, options, server.headersTimeout, () => parseHttp.call(server, socket));
  });
}

function readConnectionStart(socket: Socket, options: ProxyProtocolOptions, timeoutMs: number, serve: () => void): void {
  let bytes: Buffer = Buffer.alloc(0);
  // Until its first bytes are read the connection is not the HTTP parser's, so the server's
  // headersTimeout does not cover it yet: the same deadline applies here.
  const timer = setTimeout(() => {
    stopReading();
    options.logger.debug(`No request within ${timeoutMs} ms of connecting: ip=${socket.remoteAddress ?? ''}`);
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
    options.logger.debug(`Client closed the connection before a request was read: ip=${socket.remoteAddress ?? ''}`);
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    bytes = bytes.length === 0 ? chunk : Buffer.concat([bytes, chunk]);
    const verdict = judgeConnectionStart(bytes, socket.remoteAddress ?? '', options.allowList.allows);
    if (verdict.kind === 'need-more') return;
    stopReading();
    if (verdict.kind === 'refused') {
      options.logger.warning(`Invalid request from ip=${socket.remoteAddress ?? ''}: ${verdict.error.message}`);
      // onError stays: the client may reset the connection before it reads the answer.
      socket.end(refusal(verdict.error));
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
