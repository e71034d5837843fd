// A real Kubernetes API server for the chart's tests: etcd and kube-apiserver on free loopback
// ports, state in a temporary folder, and kubectl pointed at it with a token of system:masters.
// No controllers, scheduler or kubelet: objects are validated, admitted and stored, never run.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freeTcpPort, LOOPBACK } from './ports';
import { start, waitForHttp, type Started } from './processes';
import { requireTool } from './stack';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeApiServer {
  readonly url: string;
  readonly kubeconfig: string;
  /** Runs kubectl against this server; `input` goes to its stdin. Never rejects on a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
  /** Polls until `check` holds, for at most `timeoutMs`; the error names `what`. */
  waitUntil(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function runKubectl(kubeconfig: string, cacheDir: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      requireTool('KUBECTL_BIN'),
      ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(new Error(`kubectl ${args.join(' ')}: ${error.message}\n${stderr}`));
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} not within ${timeoutMs} ms:\n${output()}`);
}

async function startEtcd(dir: string): Promise<{ process: Started; url: string }> {
  const clientPort = await freeTcpPort();
  const peerPort = await freeTcpPort();
  const url = `http://${LOOPBACK}:${clientPort}`;
  const peer = `http://${LOOPBACK}:${peerPort}`;
  const etcd = start('etcd', requireTool('ETCD_BIN'), [
    '--name=test',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
    // What is written lives as long as the test; durability on a shared disk only slows it.
    '--unsafe-no-fsync',
  ], {
    // etcd reads every ETCD_* variable as a flag; scripts/env.sh exports ETCD_VERSION and ETCD_BIN.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_'))),
  });
  try {
    await waitForHttp(`${url}/health`, 60_000);
  } catch (error) {
    await etcd.stop();
    throw new Error(`${(error as Error).message}\n${etcd.output().slice(-4000)}`);
  }
  return { process: etcd, url };
}

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-apiserver-'));
  const etcd = await startEtcd(dir).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });

  // Service-account tokens must be signable even though nothing here asks for one.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = path.join(dir, 'sa.key');
  const verifyKey = path.join(dir, 'sa.pub');
  writeFileSync(signingKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(verifyKey, publicKey.export({ type: 'spki', format: 'pem' }));
  const token = randomBytes(24).toString('hex');
  const tokens = path.join(dir, 'tokens.csv');
  writeFileSync(tokens, `${token},test-admin,test-admin,system:masters\n`, { mode: 0o600 });
  const certDir = path.join(dir, 'certs');
  mkdirSync(certDir);

  const port = await freeTcpPort();
  const url = `https://${LOOPBACK}:${port}`;
  const apiserver = start('kube-apiserver', requireTool('KUBE_APISERVER_BIN'), [
    `--etcd-servers=${etcd.url}`,
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${port}`,
    // On loopback: the default (the host's first address) and the kubernetes Service's
    // endpoints, which it would keep pointing at that address, are of no use here.
    `--advertise-address=${LOOPBACK}`,
    '--endpoint-reconciler-type=none',
    // A self-signed serving certificate, written here; kubectl trusts it by that file.
    `--cert-dir=${certDir}`,
    `--token-auth-file=${tokens}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${verifyKey}`,
    `--service-account-signing-key-file=${signingKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
  ]);

  const kubeconfig = path.join(dir, 'kubeconfig');
  const cacheDir = path.join(dir, 'kubectl-cache');
  const kubectl = (args: readonly string[], input?: string) => runKubectl(kubeconfig, cacheDir, args, input);
  const stopAll = async () => {
    await apiserver.stop();
    await etcd.process.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const waitUntil = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) =>
    pollUntil(what, check, timeoutMs, () => apiserver.output().slice(-4000));

  try {
    const certificate = path.join(certDir, 'apiserver.crt');
    await apiserver.waitForOutput(/Serving securely on/, 180_000);
    writeFileSync(kubeconfig, [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: test\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${Buffer.from(readFileSync(certificate)).toString('base64')}`,
      'users:',
      `- name: test-admin\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: test\n  context:\n    cluster: test\n    user: test-admin',
      'current-context: test',
      '',
    ].join('\n'), { mode: 0o600 });
    await waitUntil('the API server ready (/readyz)', async () => (await kubectl(['get', '--raw=/readyz'])).stdout === 'ok', 120_000);
    await waitUntil('the default namespace', async () => (await kubectl(['get', 'namespace', 'default'])).code === 0);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { url, kubeconfig, kubectl, waitUntil, stop: stopAll };
}
