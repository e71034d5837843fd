// Requests the HTTP parser rejects before they reach the app, answered and logged the way
// Gunicorn's handle_error() does: "Invalid request from ip=...", a counted warning
// (log.warning), and no request triple, since no request was ever read.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerLogger } from '../logger';

/** Node's parser error codes that Gunicorn answers with something more specific than 400. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
};

const CLIENT_GONE = new Set(['ECONNRESET', 'HPE_INVALID_EOF_STATE']);

export function answerClientError(
  error: Error & { code?: string },
  socket: Duplex & { remoteAddress?: string },
  logger: Pick<ServerLogger, 'warning' | 'debug'>,
): void {
  // The client went away mid-request (reset, or closed before its headers were complete): nothing
  // to answer. Gunicorn ignores a "premature client disconnection" with a debug line, never a
  // counted one, and so do we.
  if (CLIENT_GONE.has(error.code ?? '') || !socket.writable) {
    logger.debug(`Client connection closed before a request was read: ${error.message}`);
    socket.destroy();
    return;
  }
  // A client too slow to send its headers (Node's headersTimeout): told so, as Node would, but not
  // counted: the server is fine, and a slowloris must not page anyone through log.warning.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    logger.debug(`Request timed out before its headers were complete: ip=${socket.remoteAddress ?? ''}`);
    socket.end(closingResponse(408));
    return;
  }
  const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
  logger.warning(`Invalid request from ip=${socket.remoteAddress ?? ''}: ${error.message}`);
  socket.end(closingResponse(status));
}

function closingResponse(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}
