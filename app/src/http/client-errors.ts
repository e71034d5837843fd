// Requests the HTTP parser rejects before they reach the app, answered and logged the way
// Gunicorn's handle_error() does: "Invalid request from ip=...", a counted warning
// (log.warning), and no request triple, since no request was ever read.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerLogger } from '../logger';
import { V1_PREFIX } from '../proxy-protocol/header';
import { pythonRepr } from '../proxy-protocol/python-repr';
import { V2_SIGNATURE } from '../proxy-protocol/v2';
import { gunicornErrorResponse } from './error-page';

/** Node's parser error codes that Gunicorn answers with something more specific than 400. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
};

const CLIENT_GONE = new Set(['ECONNRESET', 'HPE_INVALID_EOF_STATE']);

/**
 * The first line of a request that is a PROXY header where none is read (no --proxy-protocol, a
 * mode for the other version, or not at the start of the connection), else null. A v2 header's
 * signature starts with two CRLFs: Gunicorn's parser skips the first and reads an empty line.
 */
function proxyHeaderLine(rawPacket: Buffer | undefined): string | null {
  if (!rawPacket) return null;
  if (rawPacket.subarray(0, V2_SIGNATURE.length).equals(V2_SIGNATURE)) return '';
  if (rawPacket.toString('latin1', 0, V1_PREFIX.length) !== V1_PREFIX) return null;
  const end = rawPacket.indexOf('\r\n');
  return rawPacket.toString('latin1', 0, end === -1 ? rawPacket.length : end);
}

export function answerClientError(
  error: Error & { code?: string; rawPacket?: Buffer },
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
  // Gunicorn's parser reads a PROXY header as a request line it cannot make sense of.
  const proxyLine = proxyHeaderLine(error.rawPacket);
  if (proxyLine !== null) {
    const message = `Invalid HTTP request line: ${pythonRepr(proxyLine)}`;
    logger.warning(`Invalid request from ip=${socket.remoteAddress ?? ''}: ${message}`);
    socket.end(gunicornErrorResponse(400, 'Bad Request', `Invalid Request Line '${message}'`));
    return;
  }
  const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
  logger.warning(`Invalid request from ip=${socket.remoteAddress ?? ''}: ${error.message}`);
  socket.end(closingResponse(status));
}

function closingResponse(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}
