// A real single-node Kubernetes cluster for the chart's pods: scripts/kube-node/images.sh writes
// the images (the app, the statsd_exporter sidecar, the pod sandbox) from the project's Docker
// Engine, and scripts/kube-node/cluster.sh starts etcd, the control plane, a containerd of its
// own with Debian's CNI plugins, and a kubelet, all in one temporary folder.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { requireTool, ROOT } from './stack';

const SCRIPTS = path.join(ROOT, 'scripts', 'kube-node');

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeNode {
  readonly dir: string;
  readonly kubeconfig: string;
  kubectl(args: readonly string[], input?: string): Promise<CommandOutput>;
  helm(args: readonly string[]): Promise<CommandOutput>;
  /** Polls until `check` holds, for at most `timeoutMs`; the error names `what` and shows `detail()`. */
  waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, detail?: () => Promise<string>): Promise<void>;
  stop(): Promise<void>;
}

function run(command: string, args: readonly string[], timeoutMs: number, input?: string): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

async function mustRun(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const result = await run(command, args, timeoutMs);
  if (result.code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export async function startKubeNode(): Promise<KubeNode> {
  for (const tool of ['KUBELET_BIN', 'KUBE_SCHEDULER_BIN', 'KUBE_CONTROLLER_MANAGER_BIN', 'KUBE_APISERVER_BIN', 'KUBECTL_BIN', 'ETCD_BIN', 'HELM_BIN']) {
    requireTool(tool);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-node-'));
  const images = path.join(dir, 'images.tar');
  const cluster = path.join(SCRIPTS, 'cluster.sh');
  const stop = async () => {
    await mustRun('bash', [cluster, 'stop', dir], 180_000);
    rmSync(dir, { recursive: true, force: true });
  };
  let kubeconfig: string;
  try {
    // A fresh machine builds the base images and the app image first.
    await mustRun('bash', [path.join(SCRIPTS, 'images.sh'), images], 1_200_000);
    kubeconfig = (await mustRun('bash', [cluster, 'start', dir, images], 600_000)).trim();
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const kubectl = (args: readonly string[], input?: string) =>
    run(requireTool('KUBECTL_BIN'), ['--kubeconfig', kubeconfig, ...args], 120_000, input);
  const helm = (args: readonly string[]) => run(requireTool('HELM_BIN'), ['--kubeconfig', kubeconfig, ...args], 600_000);
  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs: number, detail?: () => Promise<string>) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${what} not within ${timeoutMs} ms${detail ? `:\n${await detail()}` : ''}`);
  };
  return { dir, kubeconfig, kubectl, helm, waitUntil, stop };
}
