// The compose file's proxy (proxy/tcp-round-robin.mts), run as compose runs it (node's type
// stripping) in front of the real app: bad flags named, bytes forwarded unchanged, a drain on
// SIGTERM. Its round robin over several replicas is tested with three hosts in
// test/stack/several-instances.test.ts.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, LOOPBACK } from '../../harness/ports';
import { start, stopAll, type Started } from '../../harness/processes';
import { ROOT, startApp, type App } from '../../harness/stack';
import { get, rawExchange, waitUntil } from '../support/load';
import { connectionOwners } from '../support/procfs';

const PROXY = path.join(ROOT, 'proxy', 'tcp-round-robin.mts');

function runProxy(args: readonly string[]) {
  return spawnSync(process.execPath, [PROXY, ...args], { encoding: 'utf8', timeout: 10_000 });
}

describe('the proxy refuses bad flags, naming the flag and the value', () => {
  it.each([
    [['--listen=0.0.0.0:99999', '--upstream=app:8000'], 'proxy: --listen: "0.0.0.0:99999" is not HOST:PORT (a port 1-65535)'],
    [['--listen=0.0.0.0:8000', '--upstream=app'], 'proxy: --upstream: "app" is not HOST:PORT (a port 1-65535)'],
    [['--listen=0.0.0.0:8000'], 'proxy: --upstream: "" is not HOST:PORT (a port 1-65535)'],
    [['--listen=0.0.0.0:8000', '--upstream=app:8000', '--grace-seconds=soon'], 'proxy: --grace-seconds: "soon" is not a whole number of seconds'],
    [['--listen=0.0.0.0:8000', '--upstream=app:8000', '--backend=x'], 'proxy: unknown option "--backend=x" (options: --listen, --upstream, --grace-seconds)'],
    [['--listen'], 'proxy: --listen: needs a value'],
  ])('%j', (args, message) => {
    const result = runProxy(args);
    expect(result.stderr.trim()).toBe(message);
    expect(result.status).toBe(2);
  });
});

describe('the proxy in front of the real app', () => {
  let app: App;
  let proxy: Started;
  let port: number;

  beforeAll(async () => {
    app = await startApp(['--demo-delay-scale', '0.25']);
    port = await freeTcpPort();
    proxy = start('proxy', process.execPath, [PROXY, `--listen=${LOOPBACK}:${port}`, `--upstream=localhost:${app.port}`, '--grace-seconds=10']);
    await proxy.waitForOutput(/proxy: listening on /);
  });

  afterAll(async () => {
    await stopAll(5_000);
  });

  it('forwards bytes unchanged: a malformed request gets the answer the app gives it directly', async () => {
    const request = 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n';
    const direct = await rawExchange(app.port, request);
    const proxied = await rawExchange(port, request);
    expect(direct).toMatch(/^HTTP\/1\.1 400 /);
    expect(proxied.split('\r\n')[0]).toBe(direct.split('\r\n')[0]);
  });

  it('on SIGTERM, stops accepting, lets an in-flight request finish, then exits 0', async () => {
    let clientPort = -1;
    const inFlight = get(`http://${LOOPBACK}:${port}`, '/io_task', { onConnect: (localPort) => (clientPort = localPort) });
    // Open for sure: the proxy has accepted this very connection (its handler runs in the same
    // event-loop turn as the accept, before any signal is handled). The app answers after 0.5 s.
    await waitUntil('the proxy to hold the connection', async () => connectionOwners(port, [proxy.pid]).has(clientPort), (held) => held, 5_000, 10);
    proxy.signal('SIGTERM');
    await proxy.waitForOutput(/proxy: SIGTERM, waiting up to 10 s for 1 open connection/);
    const refused = await get(`http://${LOOPBACK}:${port}`, '/');
    expect(refused.error).toBe('ECONNREFUSED');
    expect((await inFlight).status).toBe(200);
    expect(await proxy.exited).toBe(0);
  });
});
