// One way to start a pre-fork HTTP server under test (the app, Gunicorn, a benchmark peer): on a
// free loopback port given by --bind, awaited until its log says it is ready and / answers.
import type { SpawnOptions } from 'node:child_process';
import { freeTcpPort, LOOPBACK } from './ports';
import { start, waitForHttp, type Started } from './processes';

export interface App {
  readonly url: string;
  readonly port: number;
  readonly process: Started;
  stop(): Promise<number | NodeJS.Signals>;
}

export interface ServerSpec {
  /** Names the process in logs and errors. */
  readonly name: string;
  readonly command: string;
  /** Arguments before --bind and --workers (the entry script of a Node server). */
  readonly leadingArgs?: readonly string[];
  /** Arguments after them (flags, then Gunicorn's app module last). */
  readonly args: readonly string[];
  readonly workers: number;
  /** Log lines to wait for, in order, before / is polled. */
  readonly ready: readonly RegExp[];
  /** How long each `ready` line may take; the process helper's default when absent. */
  readonly readyTimeoutMs?: number;
  readonly spawn?: SpawnOptions;
}

/** Matches once the log holds `workers` "Booting worker" lines, as Gunicorn and the app print them. */
export function bootedWorkersPattern(workers: number): RegExp {
  return new RegExp(`(Booting worker with pid: \\d+[\\s\\S]*){${workers}}`);
}

export async function startServer(spec: ServerSpec): Promise<App> {
  const port = await freeTcpPort();
  const started = start(spec.name, spec.command, [
    ...(spec.leadingArgs ?? []),
    '--bind',
    `${LOOPBACK}:${port}`,
    '--workers',
    String(spec.workers),
    ...spec.args,
  ], spec.spawn);
  for (const line of spec.ready) await started.waitForOutput(line, spec.readyTimeoutMs);
  const url = `http://${LOOPBACK}:${port}`;
  await waitForHttp(`${url}/`);
  return { url, port, process: started, stop: () => started.stop() };
}
