// A loopback HTTP server standing in for the services Alertmanager notifies (a pager, a ticket
// queue, a heartbeat service): it records every webhook POST with its path, time and the status it
// answered, and can be told to answer errors to the next requests of a path.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from '../../harness/ports';

/** The JSON Alertmanager's webhook integration sends (version 4). */
export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string; fingerprint: string }[];
  externalURL: string;
}

export interface Received {
  readonly path: string;
  readonly atMs: number;
  readonly answered: number;
  readonly message: WebhookMessage;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: readonly Received[];
  /** Answers `status` to the next `count` POSTs to `path` (Infinity: to every one from now on; 0: none). */
  failNext(path: string, count: number, status?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const failures = new Map<string, { count: number; status: number }>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const failure = failures.get(path);
      const answered = failure && failure.count > 0 ? failure.status : 200;
      if (failure && failure.count > 0) failure.count -= 1;
      received.push({ path, atMs: Date.now(), answered, message: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookMessage });
      response.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok\n' : 'failing on purpose\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    received,
    failNext(path, count, status = 500) {
      failures.set(path, { count, status });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
