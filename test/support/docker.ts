// The project's own Docker Engine and the compose plugin, for the tests that run images: the engine
// is acquired (started, or reused when it already answers) through scripts/docker-engine/engine.sh
// and released when the test file ends; `docker compose` runs the committed file unmodified.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as path from 'node:path';
import { ROOT } from '../../harness/stack';

const ENGINE_SCRIPT = path.join(ROOT, 'scripts', 'docker-engine', 'engine.sh');
export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yaml');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; never rejects for a non-zero exit (the caller reads `code`). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${command} ${args.join(' ')} could not run or timed out: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Like runCommand, but a non-zero exit throws with the program's own words. */
export async function mustRun(command: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await runCommand(command, args, { timeoutMs });
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export interface EngineLease {
  /** "started" when this lease started the daemon, "reused" when it was already answering. */
  readonly how: 'started' | 'reused';
  release(): Promise<void>;
}

/**
 * Starts (or reuses) the project's Docker Engine for one test file. Throws, never skips, when it
 * cannot: the message is engine.sh's (dockerd missing, or its last log lines).
 */
export async function acquireEngine(): Promise<EngineLease> {
  if (!process.env.DOCKER_HOST || !process.env.DOCKER_ENGINE_DIR) {
    throw new Error('DOCKER_HOST and DOCKER_ENGINE_DIR are not set: run the tests with `npm test`, or `. scripts/env.sh` first');
  }
  const id = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const result = await runCommand('bash', [ENGINE_SCRIPT, 'acquire', id], { timeoutMs: 120_000 });
  if (result.code !== 0) {
    throw new Error(`the Docker Engine for the compose tests cannot start: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  const how = result.stdout.trim() === 'started' ? 'started' : 'reused';
  return {
    how,
    async release() {
      await mustRun('bash', [ENGINE_SCRIPT, 'release', id], 60_000);
    },
  };
}

/** `docker image inspect` of one image, or a clear error naming the image and how to build it. */
export async function inspectImage(image: string): Promise<ImageInspect> {
  const result = await runCommand('docker', ['image', 'inspect', image]);
  if (result.code !== 0) {
    throw new Error(`image ${image} is not in the project's Docker Engine: scripts/install-tools.sh builds it (scripts/base-images/build.sh)`);
  }
  return (JSON.parse(result.stdout) as ImageInspect[])[0];
}

export interface ImageInspect {
  Config: {
    User: string;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    WorkingDir: string;
    Env: string[] | null;
    ExposedPorts: Record<string, object> | null;
    Volumes: Record<string, object> | null;
    StopSignal?: string;
  };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Config: { User: string; Image: string; Hostname: string; Env: string[] | null; Healthcheck?: { Test: string[] }; Labels: Record<string, string> };
  State: { Status: string; Pid: number; Health?: { Status: string } };
  HostConfig: { CapDrop: string[] | null; SecurityOpt: string[] | null; ReadonlyRootfs: boolean; Tmpfs?: Record<string, string> | null };
  Mounts: { Type: string; Source: string; Destination: string; RW: boolean; Name?: string }[];
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
}

export async function inspectContainer(id: string): Promise<ContainerInspect> {
  return (JSON.parse(await mustRun('docker', ['container', 'inspect', id])) as ContainerInspect[])[0];
}

/** `docker compose` on a committed file (docker-compose.yaml unless told) under a project name of the tests' own. */
export function composeRunner(project: string, file = COMPOSE_FILE) {
  const base = ['compose', '--project-name', project, '--file', file];
  return {
    run: (args: readonly string[], timeoutMs?: number) => runCommand('docker', [...base, ...args], { timeoutMs }),
    must: (args: readonly string[], timeoutMs?: number) => mustRun('docker', [...base, ...args], timeoutMs),
    /** The container id of a service, or throws when it has none. */
    async containerId(service: string): Promise<string> {
      const id = (await mustRun('docker', [...base, 'ps', '--all', '--quiet', service])).trim();
      if (!id) throw new Error(`compose service ${service} has no container`);
      return id;
    },
  };
}

export interface HostPort {
  port: number;
  protocol: 'tcp' | 'udp';
}

function tryBind({ port, protocol }: HostPort): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    if (protocol === 'tcp') {
      const server = net.createServer();
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(null)));
    } else {
      const socket = dgram.createSocket('udp4');
      socket.once('error', (error: NodeJS.ErrnoException) => {
        socket.close();
        resolve(error);
      });
      socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => socket.close(() => resolve(null)));
    }
  });
}

/** Throws naming every host port (on 127.0.0.1) that another program holds. */
export async function assertHostPortsFree(ports: readonly HostPort[]): Promise<void> {
  const taken: string[] = [];
  for (const port of ports) {
    const error = await tryBind(port);
    if (error) taken.push(`127.0.0.1:${port.port}/${port.protocol} (${error.code ?? error.message})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `host port ${taken.join(', ')} is taken: docker-compose.yaml publishes the stack there, so the compose ` +
        'test needs it free. Stop whatever listens there (a `docker compose up` of your own, a native stack) and run again',
    );
  }
}

/** The host ports docker-compose.yaml publishes, from its "127.0.0.1:HOST:CONTAINER[/udp]" specs. */
export function publishedPorts(specs: readonly string[]): HostPort[] {
  return specs.map((spec) => {
    const match = /^127\.0\.0\.1:(\d+):\d+(?:\/(tcp|udp))?$/.exec(spec);
    if (!match) throw new Error(`port spec ${spec} is not 127.0.0.1:HOST:CONTAINER[/proto]`);
    return { port: Number(match[1]), protocol: (match[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
  });
}
