// Child processes for the native stack: spawned with captured output, tracked so that whoever
// started them (a test's afterAll, the benchmark, the renderer) can stop every one of them.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the output once it matches `pattern`; rejects on exit or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | NodeJS.Signals>;
}

const running = new Set<Started>();

export function start(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(handle);
      resolve(code ?? (signal as NodeJS.Signals));
      for (const listener of listeners) listener();
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  child.once('error', (error) => {
    output += `\n[spawn error] ${error.message}\n`;
  });

  const handle: Started = {
    name,
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            done();
            resolve(output);
          } else if (hasExited || child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${name} exited before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    signal(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      handle.signal('SIGTERM');
      const timer = setTimeout(() => handle.signal('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every process started here that is still running. */
export async function stopAll(graceMs?: number): Promise<void> {
  await Promise.all([...running].map((started) => started.stop(graceMs)));
}

/** Polls `url` until it answers 2xx; rejects after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${lastError})`);
}
