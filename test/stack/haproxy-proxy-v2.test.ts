// The v2 header as a real sender writes it: HAProxy (the binary the compose image is built from)
// in front of the built app with `send-proxy-v2`, a CRC32C TLV after the addresses. A client
// connecting from another loopback address than HAProxy's must be the one the access log names.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, LOOPBACK } from '../../harness/ports';
import { start, stopAll, type Started } from '../../harness/processes';
import { requireTool } from '../../harness/stack';
import { startMaster, type Master } from '../support/app-master';

/** Not HAProxy's address (127.0.0.1): any address of 127.0.0.0/8 is the host's own on Linux. */
const CLIENT = '127.0.0.23';

let master: Master;
let haproxy: Started;
let haproxyPort: number;
let dir: string;

beforeAll(async () => {
  master = await startMaster(['--proxy-protocol', 'v2', '--access-logfile', '-'], 1);
  haproxyPort = await freeTcpPort();
  dir = mkdtempSync(path.join(tmpdir(), 'haproxy-v2-'));
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(config, [
    'defaults',
    '    mode tcp',
    '    timeout connect 5s',
    '    timeout client 10s',
    '    timeout server 10s',
    'frontend app',
    `    bind ${LOOPBACK}:${haproxyPort}`,
    '    default_backend app',
    'backend app',
    `    server app1 ${LOOPBACK}:${master.app.port} send-proxy-v2 proxy-v2-options crc32c`,
    '',
  ].join('\n'));
  haproxy = start('haproxy', requireTool('HAPROXY_BIN'), ['-db', '-f', config]);
  await waitForListening(haproxyPort);
});

afterAll(async () => {
  await stopAll();
  await master.udp.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForListening(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, LOOPBACK, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (listening) return;
    if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}:\n${haproxy.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** GET `target` through HAProxy from `localAddress`; the whole response. */
function getFrom(localAddress: string, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect({ port: haproxyPort, host: LOOPBACK, localAddress }, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
}

describe('--proxy-protocol v2 behind HAProxy send-proxy-v2', () => {
  it('serves the request and logs the client HAProxy saw, not HAProxy; nothing counted but the request', async () => {
    master.udp.clear();
    const target = `/?v2-probe=${Date.now()}`;
    expect(await getFrom(CLIENT, target)).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const logged = new RegExp(`^${CLIENT.replaceAll('.', '\\.')} - - \\[[^\\]]+\\] "GET ${target.replace('?', '\\?')} HTTP/1\\.1" 200 `, 'm');
    await master.app.process.waitForOutput(logged, 10_000);
    const lines = await master.udp.waitFor((sent) => sent.some((line) => line.includes('.gunicorn.request.status.200:')));
    expect(lines.filter((line) => line.includes('.gunicorn.log.'))).toEqual([]);
  });
});
