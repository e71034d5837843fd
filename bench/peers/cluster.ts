// What the peers share: node:cluster with N workers behind one port, started and stopped the way
// the app and Gunicorn are (same flags, same start-up lines), so the bench treats all alike.
// Run as: node --require ts-node/register bench/peers/<peer>.ts --bind HOST:PORT --workers N
import cluster from 'node:cluster';
import type { RequestListener } from 'node:http';
import { createServer } from 'node:http';
import { ArgsError, positive, readFlags } from '../../harness/command-line';

const USAGE = 'Usage: node --require ts-node/register bench/peers/<peer>.ts --bind HOST:PORT --workers N';

interface PeerArgs {
  host: string;
  port: number;
  workers: number;
}

function parsePeerArgs(argv: readonly string[]): PeerArgs {
  const flags = readFlags(argv, { bind: { type: 'string' }, workers: { type: 'string' } }, USAGE);
  const required = (flag: string) => {
    const value = flags.string(flag);
    if (value === undefined) throw new ArgsError(`--${flag} is required\n${USAGE}`);
    return value;
  };
  const bind = required('bind');
  const address = /^(.+):(\d+)$/.exec(bind);
  if (!address) throw new ArgsError(`--bind: expected HOST:PORT, got ${JSON.stringify(bind)}`);
  return { host: address[1], port: positive('--bind', address[2], true), workers: positive('--workers', required('workers'), true) };
}

/** Starts the primary (forks, logs, stops workers on SIGTERM) or, in a worker, serves `listener`. */
export function runClusterPeer(name: string, makeListener: () => RequestListener): void {
  let args: PeerArgs;
  try {
    args = parsePeerArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    process.stderr.write(`[${name}] ${error.message}\n`);
    process.exit(2);
  }
  const { host, port, workers } = args;
  if (cluster.isPrimary) {
    let stopping = false;
    for (let i = 0; i < workers; i += 1) {
      const worker = cluster.fork();
      worker.once('online', () => process.stderr.write(`[${name}] Booting worker with pid: ${worker.process.pid}\n`));
    }
    let listening = 0;
    cluster.on('listening', () => {
      listening += 1;
      if (listening === workers) process.stderr.write(`[${name}] Listening at: http://${host}:${port}\n`);
    });
    cluster.on('exit', (worker, code, signal) => {
      // A peer that loses a worker would silently measure with fewer: fail loudly instead.
      if (!stopping) {
        process.stderr.write(`[${name}] worker ${worker.process.pid} died (${signal ?? code}); exiting\n`);
        process.exit(1);
      }
    });
    process.on('SIGTERM', () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
      cluster.disconnect(() => process.exit(0));
    });
  } else {
    createServer(makeListener()).listen(port, host);
    process.on('SIGTERM', () => process.exit(0));
  }
}
