// HAProxy as compose runs it, natively: the committed etc/haproxy/haproxy.cfg with only its
// addresses rewritten, as the tests rewrite prometheus.yml's targets. Outside Docker there is no
// DNS naming the replicas, so the server-template line (up to 10 replicas found by DNS) becomes
// one server line per replica given, with the same check settings; every other line is the
// committed one. The binary is Debian trixie's, the image's (scripts/install-tools.sh).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freeTcpPort, LOOPBACK } from './ports';
import { start, waitForHttp, type Started } from './processes';
import { ETC, requireTool } from './stack';

export interface HaproxyReplica {
  readonly host: string;
  /** The app's port (compose: 8000). */
  readonly port: number;
  /** Its runtime-metrics port, which the health check asks (compose: 9464). */
  readonly metricsPort: number;
}

export interface HaproxyOptions {
  readonly replicas: readonly HaproxyReplica[];
  /** Where the front door listens (compose: :8000); a free loopback port when absent. */
  readonly listen?: string;
  /** Where its metrics and status page listen (compose: :8404); a free loopback port when absent. */
  readonly metricsListen?: string;
  /** Runs the binary through this wrapper (e.g. a network namespace's `ip netns exec`). */
  readonly wrap?: (command: string, args: string[]) => [string, string[]];
}

export interface Haproxy {
  readonly url: string;
  readonly metricsUrl: string;
  readonly process: Started;
  /** The rewritten config, for messages. */
  readonly config: string;
  stop(): Promise<void>;
}

const TEMPLATE = /^(\s*)server-template app \d+ app:8000 resolvers docker init-addr none$/m;

/** The committed config with its two binds and its DNS-found servers replaced. */
export function rewriteHaproxyConfig(options: { replicas: readonly HaproxyReplica[]; listen: string; metricsListen: string }): string {
  const committed = readFileSync(path.join(ETC, 'haproxy', 'haproxy.cfg'), 'utf8');
  const replace = (text: string, pattern: RegExp, by: string) => {
    if (!pattern.test(text)) throw new Error(`etc/haproxy/haproxy.cfg: no line matches ${pattern}`);
    return text.replace(pattern, by);
  };
  let config = replace(committed, /^(\s*)bind :8000$/m, `$1bind ${options.listen}`);
  config = replace(config, /^(\s*)bind :8404$/m, `$1bind ${options.metricsListen}`);
  const indent = TEMPLATE.exec(config)?.[1] ?? '    ';
  const servers = options.replicas
    .map((replica, i) => `${indent}server app${i + 1} ${replica.host}:${replica.port} port ${replica.metricsPort}`)
    .join('\n');
  return replace(config, TEMPLATE, servers);
}

export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const binary = requireTool('HAPROXY_BIN');
  const listen = options.listen ?? `${LOOPBACK}:${await freeTcpPort()}`;
  const metricsListen = options.metricsListen ?? `${LOOPBACK}:${await freeTcpPort()}`;
  const config = rewriteHaproxyConfig({ replicas: options.replicas, listen, metricsListen });
  const dir = mkdtempSync(path.join(tmpdir(), 'haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  // In the foreground, as the image's entrypoint runs it, but without its master-worker mode (-W):
  // the master re-executes the binary itself, outside the loader that the native install runs it
  // through. One process serves the same config.
  const args = ['-db', '-f', file];
  const [command, wrappedArgs] = options.wrap ? options.wrap(binary, args) : [binary, args];
  const started = start('haproxy', command, wrappedArgs);
  const metricsUrl = `http://${metricsListen}`;
  try {
    await waitForHttp(`${metricsUrl}/metrics`, 15_000);
  } catch (error) {
    await started.stop();
    throw new Error(`haproxy did not serve ${metricsUrl}/metrics: ${(error as Error).message}\n${started.output()}`);
  }
  return {
    url: `http://${listen}`,
    metricsUrl,
    process: started,
    config,
    async stop() {
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
