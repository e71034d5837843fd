// The PROXY protocol, real Gunicorn against the Node app: the same flags, the same bytes on a raw
// TCP connection, and a transcript of what each case produced: the response (the status line of a
// served request, every byte of a refusal), the access log and warning lines, the StatsD lines.
// The committed reference conformance/reference/proxy-<variant>.txt is real Gunicorn's transcript.
// CLI: node --require ts-node/register conformance/proxy-protocol.ts [--server gunicorn|node] [--write]
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freeTcpPort, LOOPBACK } from '../harness/ports';
import { start, type Started } from '../harness/processes';
import { requireTool, ROOT } from '../harness/stack';
import { collectUdp, type UdpCollector } from '../harness/udp';
import { maskDurations, NODE_APP_ENTRY, REFERENCE_DIR, type ServerKind } from './capture';

export interface ProxyVariant {
  /** The reference is conformance/reference/proxy-<name>.txt. */
  readonly name: string;
  readonly flags: readonly string[];
  readonly cases: readonly ProxyCase[];
}

export interface ProxyCase {
  readonly name: string;
  /** Sent at once on a new connection, latin-1. */
  readonly bytes: string;
  /** Half-closes the connection after the bytes: a client that gives up. */
  readonly endAfter?: boolean;
}

const GET = 'GET / HTTP/1.1\r\nHost: conformance\r\nConnection: close\r\n\r\n';

export const PROXY_VARIANTS: readonly ProxyVariant[] = [
  {
    name: 'allowed',
    flags: ['--proxy-protocol', '--proxy-allow-from', '127.0.0.1'],
    cases: [
      { name: 'a TCP4 header', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\n${GET}` },
      { name: 'a TCP6 header', bytes: `PROXY TCP6 2001:db8::7 ::1 51234 8000\r\n${GET}` },
      { name: 'no header', bytes: GET },
      { name: 'a sixth field missing', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234\r\n${GET}` },
      { name: 'garbage addresses', bytes: `PROXY TCP4 not.an.ip 127.0.0.1 1 2\r\n${GET}` },
      { name: 'an IPv6 address as TCP4', bytes: `PROXY TCP4 2001:db8::7 127.0.0.1 1 2\r\n${GET}` },
      { name: 'an unsupported protocol', bytes: `PROXY UNKNOWN 203.0.113.7 127.0.0.1 1 2\r\n${GET}` },
      { name: 'a port out of range', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 70000 8000\r\n${GET}` },
      { name: 'a port that is a word', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 http 8000\r\n${GET}` },
      { name: 'a quote and a control character', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 1'\x01 8000\r\n${GET}` },
      { name: 'Python int() spellings of ports', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 +5_1 -0\r\n${GET}` },
      { name: 'a truncated header, then the client closes', bytes: 'PROXY TCP4 203.0.113.7', endAfter: true },
      { name: 'a second header on the same connection', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\nPROXY TCP4 198.51.100.9 127.0.0.1 1 2\r\n${GET}` },
    ],
  },
  {
    name: 'forbidden',
    flags: ['--proxy-protocol', 'v1', '--proxy-allow-from', '10.0.0.0/8, 2001:db8::/32'],
    cases: [
      { name: 'a header from a peer not allowed', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\n${GET}` },
      { name: 'no header from the same peer', bytes: GET },
    ],
  },
  {
    name: 'off',
    flags: [],
    cases: [
      { name: 'a header without --proxy-protocol', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\n${GET}` },
    ],
  },
];

export function proxyReferencePath(variant: ProxyVariant): string {
  return path.join(REFERENCE_DIR, `proxy-${variant.name}.txt`);
}

export function readProxyReference(variant: ProxyVariant): string {
  return readFileSync(proxyReferencePath(variant), 'utf8');
}

const WAIT_MS = 10_000;

function exchange(port: number, bytes: string, endAfter: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, LOOPBACK, () => {
      socket.write(Buffer.from(bytes, 'latin1'));
      if (endAfter) socket.end();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.setTimeout(WAIT_MS, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/** A served response is the app's (the two apps' pages differ): its status line only. A refusal is the server's: every byte. */
function describeResponse(response: Buffer): string {
  const text = response.toString('latin1');
  if (text === '') return '(nothing; closed)';
  if (/^HTTP\/1\.1 2\d\d /.test(text)) return text.slice(0, text.indexOf('\r\n'));
  return JSON.stringify(text);
}

// An access log line, its time and body length masked (the two apps' pages differ in length).
const ACCESS = /^(\S+ - \S+ )\[[^\]]+\]( "[^"]*" \d{3} )\S+( .*)$/;
// A server log line, its time and pid masked.
const SERVER = /^\[[^\]]+\] \[\d+\] \[(WARNING|ERROR|CRITICAL)\] (.*)$/;

function logLines(output: string): string[] {
  return output.split('\n').flatMap((line) => {
    const access = ACCESS.exec(line);
    if (access) return [`${access[1]}[<time>]${access[2]}<B>${access[3]}`];
    const server = SERVER.exec(line);
    return server ? [`[${server[1]}] ${server[2]}`] : [];
  });
}

async function until(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

async function runCase(server: Started, udp: UdpCollector, port: number, testCase: ProxyCase): Promise<string[]> {
  const logBefore = logLines(server.output()).length;
  const udpBefore = udp.lines().length;
  const response = await exchange(port, testCase.bytes, testCase.endAfter ?? false);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(response.toString('latin1'))?.[1];
  // Each answer has its effects: a served request its triple and access line, a refusal its
  // counted warning and its log line. Waiting for them keeps each case's lines with it.
  const notes: string[] = [];
  if (status !== undefined) {
    const served = status.startsWith('2');
    const udpDone = served ? /gunicorn\.request\.status\./ : /gunicorn\.log\.warning/;
    if (!(await until(() => udp.lines().slice(udpBefore).some((line) => udpDone.test(line))))) notes.push('(timed out waiting for its StatsD lines)');
    if (!(await until(() => logLines(server.output()).length > logBefore))) notes.push('(timed out waiting for its log line)');
  }
  return [
    `## ${testCase.name}`,
    `response: ${describeResponse(response)}`,
    ...logLines(server.output()).slice(logBefore).map((line) => `log: ${line}`),
    ...maskDurations(udp.lines().slice(udpBefore)).map((line) => `statsd: ${line}`),
    ...notes,
  ];
}

function command(kind: ServerKind, port: number, udpPort: number, variant: ProxyVariant): [string, string[]] {
  const common = [
    '--bind', `${LOOPBACK}:${port}`, '--workers', '1', '--statsd-host', `${LOOPBACK}:${udpPort}`,
    '--access-logfile', '-', ...variant.flags,
  ];
  if (kind === 'gunicorn') return [requireTool('GUNICORN_BIN'), [...common, '--no-control-socket', 'conformance.flask_app:app']];
  return [process.execPath, [NODE_APP_ENTRY, ...common]];
}

/** The transcript of every case of `variant`, one line each, ending in a newline. */
export async function captureProxy(kind: ServerKind, variant: ProxyVariant): Promise<string> {
  const udp = await collectUdp();
  const port = await freeTcpPort();
  const [program, args] = command(kind, port, udp.port, variant);
  const server = start(kind, program, args, { cwd: ROOT });
  try {
    await server.waitForOutput(/Booting worker with pid/, 20_000);
    // The master's workers gauge at start-up comes before the first case, not inside it.
    if (!(await until(() => udp.lines().some((line) => line.startsWith('gunicorn.workers:'))))) {
      throw new Error(`${kind}: no workers gauge at start-up:\n${server.output()}`);
    }
    const lines = [`# ${variant.name}: ${variant.flags.join(' ') || '(no PROXY protocol flags)'}`];
    for (const testCase of variant.cases) lines.push(...await runCase(server, udp, port, testCase));
    return `${lines.join('\n')}\n`;
  } finally {
    await server.stop(2_000);
    await udp.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const kind = (argv.includes('--server') ? argv[argv.indexOf('--server') + 1] : 'gunicorn') as ServerKind;
  const write = argv.includes('--write');
  if (write && kind !== 'gunicorn') throw new Error('--write: only real Gunicorn makes a reference');
  for (const variant of PROXY_VARIANTS) {
    const transcript = await captureProxy(kind, variant);
    if (write) writeFileSync(proxyReferencePath(variant), transcript);
    else process.stdout.write(transcript);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
