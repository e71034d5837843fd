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
import { ArgsError, readFlags } from '../harness/command-line';
import { maskDurations, NODE_APP_ENTRY, REFERENCE_DIR, SERVER_FLAGS, serverAndWrite, type ServerKind } from './capture';

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

// PROXY protocol v2 headers, built from their fields (every string here is latin-1, one
// character per byte): the 12-byte signature, version and command, family and transport, the
// length of what follows, the addresses, TLVs.
const V2_SIGNATURE = '\r\n\r\n\0\r\nQUIT\n';
const bytes = (...values: number[]) => String.fromCharCode(...values);
const u16 = (value: number) => bytes(value >> 8, value & 0xff);
const ipv4 = (text: string) => bytes(...text.split('.').map(Number));
/** An IPv6 address written out in full: eight groups of four hex digits. */
const ipv6 = (text: string) => text.split(':').map((group) => u16(parseInt(group, 16))).join('');
function v2(versionCommand: number, familyTransport: number, body: string, length = body.length): string {
  return `${V2_SIGNATURE}${bytes(versionCommand, familyTransport)}${u16(length)}${body}`;
}
const TCP4_ADDRESSES = `${ipv4('203.0.113.7')}${ipv4('127.0.0.1')}${u16(51234)}${u16(8000)}`;
const LOOPBACK6 = '0000:0000:0000:0000:0000:0000:0000:0001';
const tcp6Addresses = (client: string) => `${ipv6(client)}${ipv6(LOOPBACK6)}${u16(51234)}${u16(8000)}`;
/** PROXY over TCP/IPv4 (0x21, 0x11) from 203.0.113.7:51234. */
const V2_TCP4 = v2(0x21, 0x11, TCP4_ADDRESSES);
// v1 lines far longer than any a proxy sends (107 bytes at most) and than one read of a socket:
// a port that Python's int() reads through 20,000 tabs, and one of 20,000 digits, which is more
// than Python converts (4,300).
const LONG_V1_LINE_SERVED = `PROXY TCP4 203.0.113.7 127.0.0.1 51234 ${'\t'.repeat(20_000)}8000`;
const LONG_V1_LINE_REFUSED = `PROXY TCP4 203.0.113.7 127.0.0.1 51234 ${'8'.repeat(20_000)}`;

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
      { name: 'a v1 line of 20,043 bytes, its port read through tabs', bytes: `${LONG_V1_LINE_SERVED}\r\n${GET}` },
      { name: 'a v1 line of 20,039 bytes, its port too many digits for Python', bytes: `${LONG_V1_LINE_REFUSED}\r\n${GET}` },
      { name: 'a v1 line ended by a bare LF', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\n${GET}` },
      { name: 'a v2 TCP4 header', bytes: `${V2_TCP4}${GET}` },
      { name: 'a v2 TCP6 header', bytes: `${v2(0x21, 0x21, tcp6Addresses('2001:0db8:0000:0000:0000:0000:0000:0007'))}${GET}` },
      { name: 'a v2 TCP6 header from an IPv4-mapped client', bytes: `${v2(0x21, 0x21, tcp6Addresses('0000:0000:0000:0000:0000:ffff:cb00:7107'))}${GET}` },
      { name: 'a v2 TCP6 header, one zero group and a longer run', bytes: `${v2(0x21, 0x21, tcp6Addresses('2001:0db8:0000:00ab:0000:0000:0000:0c0d'))}${GET}` },
      { name: 'a v2 TCP4 header with TLVs after the addresses', bytes: `${v2(0x21, 0x11, `${TCP4_ADDRESSES}\x05${u16(4)}abcd\x04${u16(0)}`)}${GET}` },
      { name: 'a v2 LOCAL header', bytes: `${v2(0x20, 0x00, '')}${GET}` },
      { name: 'a v2 LOCAL header carrying addresses', bytes: `${v2(0x20, 0x11, TCP4_ADDRESSES)}${GET}` },
      { name: 'a v2 PROXY header of family UNSPEC over TCP', bytes: `${v2(0x21, 0x01, '')}${GET}` },
      { name: 'a v2 PROXY header of family and transport UNSPEC', bytes: `${v2(0x21, 0x00, '')}${GET}` },
      { name: 'a v2 UDP header', bytes: `${v2(0x21, 0x12, TCP4_ADDRESSES)}${GET}` },
      { name: 'a v2 UNIX header', bytes: `${v2(0x21, 0x31, `/run/client.sock${'\0'.repeat(92)}/run/app.sock${'\0'.repeat(95)}`)}${GET}` },
      { name: 'a v2 header of version 1', bytes: `${v2(0x11, 0x11, TCP4_ADDRESSES)}${GET}` },
      { name: 'a v2 header with command 2', bytes: `${v2(0x22, 0x11, TCP4_ADDRESSES)}${GET}` },
      { name: 'a v2 TCP4 header too short for its addresses', bytes: `${v2(0x21, 0x11, TCP4_ADDRESSES.slice(0, 8))}${GET}` },
      { name: 'a v2 TCP6 header too short for its addresses', bytes: `${v2(0x21, 0x21, TCP4_ADDRESSES)}${GET}` },
      { name: 'a v2 signature cut short, then the client closes', bytes: V2_SIGNATURE.slice(0, 8), endAfter: true },
      { name: 'a v2 header cut short before its length, then the client closes', bytes: V2_TCP4.slice(0, 14), endAfter: true },
      { name: 'a v2 header cut short in its addresses, then the client closes', bytes: V2_TCP4.slice(0, 22), endAfter: true },
      { name: 'a v2 header, then a v1 line', bytes: `${V2_TCP4}PROXY TCP4 198.51.100.9 127.0.0.1 1 2\r\n${GET}` },
    ],
  },
  {
    name: 'forbidden',
    flags: ['--proxy-protocol', 'v1', '--proxy-allow-from', '10.0.0.0/8, 2001:db8::/32'],
    cases: [
      { name: 'a header from a peer not allowed', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\n${GET}` },
      { name: 'no header from the same peer', bytes: GET },
      { name: 'a v2 header where only v1 is read', bytes: `${V2_TCP4}${GET}` },
    ],
  },
  {
    name: 'v2',
    flags: ['--proxy-protocol', 'V2', '--proxy-allow-from', '10.0.0.0/8'],
    cases: [
      { name: 'a v2 header from a peer not allowed', bytes: `${V2_TCP4}${GET}` },
      { name: 'a v2 header of version 1 from a peer not allowed', bytes: `${v2(0x11, 0x11, TCP4_ADDRESSES)}${GET}` },
      { name: 'a v1 header where only v2 is read', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\n${GET}` },
      { name: 'no header', bytes: GET },
    ],
  },
  {
    name: 'off',
    flags: [],
    cases: [
      { name: 'a header without --proxy-protocol', bytes: `PROXY TCP4 203.0.113.7 127.0.0.1 51234 8000\r\n${GET}` },
      { name: 'a v2 header without --proxy-protocol', bytes: `${V2_TCP4}${GET}` },
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
    // A refusal counts the log line it writes: a warning, or an exception for a 500.
    const udpDone = served ? /gunicorn\.request\.status\./ : /gunicorn\.log\./;
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

export const USAGE = `Usage: node --require ts-node/register conformance/proxy-protocol.ts [--server gunicorn|node] [--write]
  --server      which server to capture (default gunicorn)
  --write       write conformance/reference/proxy-<variant>.txt instead of printing (real Gunicorn only)
`;

/** --server and --write, or an ArgsError naming the bad flag or value. */
export function parseOptions(argv: readonly string[]): { kind: ServerKind; write: boolean } {
  return serverAndWrite(readFlags(argv, SERVER_FLAGS, USAGE));
}

async function main(argv: readonly string[]): Promise<void> {
  const { kind, write } = parseOptions(argv);
  for (const variant of PROXY_VARIANTS) {
    const transcript = await captureProxy(kind, variant);
    if (write) writeFileSync(proxyReferencePath(variant), transcript);
    else process.stdout.write(transcript);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(error instanceof ArgsError ? 2 : 1);
  });
}
