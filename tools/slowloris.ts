// Scripted check (docs/faults.md, "What happens when…"): how the app treats slow clients. Too
// slow for the test suite (Node's header timeout is 60 s, checked every 30 s), so it is run by hand:
//   . scripts/env.sh && npm run build && node --require ts-node/register tools/slowloris.ts
// Prints when each slow connection was closed and with what, and the StatsD lines sent meanwhile.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { readFlags } from '../harness/command-line';
import { LOOPBACK } from '../harness/ports';
import { stopAll } from '../harness/processes';
import { startApp } from '../harness/stack';

const GIVE_UP_MS = 130_000;

export const USAGE = `Usage: node --require ts-node/register tools/slowloris.ts [-h | --help]

Starts the built app with three slow clients and prints when and how each was closed (up to
${GIVE_UP_MS / 1000} s), then the StatsD lines the app sent meanwhile. Takes no other arguments.
`;

/** Whether --help was asked for; throws an ArgsError naming any other argument. */
export function parseOptions(argv: readonly string[]): { help: boolean } {
  return { help: readFlags(argv, { help: { type: 'boolean', short: 'h' } }, USAGE).boolean('help') };
}

async function main(): Promise<void> {
  const statsd = dgram.createSocket('udp4');
  const lines: string[] = [];
  statsd.on('message', (message) => lines.push(...message.toString().split('\n')));
  await new Promise<void>((resolve) => statsd.bind(0, LOOPBACK, resolve));
  const app = await startApp(['--statsd-host', `${LOOPBACK}:${statsd.address().port}`, '--statsd-prefix', 'slow']);
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

  const watch = (name: string, socket: net.Socket) =>
    new Promise<void>((resolve) => {
      let reply = '';
      socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        console.log(`${name}: closed by the server after ${seconds()} s, reply ${JSON.stringify(reply.split('\r\n')[0])}`);
        resolve();
      });
    });

  const connect = (first: string) => {
    const socket = net.connect(app.port, LOOPBACK, () => socket.write(first));
    return socket;
  };
  const dribbling = connect('GET / HTTP/1.1\r\nHost: x\r\n');
  const dribble = setInterval(() => dribbling.destroyed || dribbling.write(`X-Slow-${Date.now()}: 1\r\n`), 1_000);
  const idle = connect('GET / HTTP/1.1\r\nHost: x\r\n');
  const keepAlive = connect('GET / HTTP/1.1\r\nHost: x\r\n\r\n');

  const giveUp = new Promise<void>((resolve) => setTimeout(resolve, GIVE_UP_MS).unref());
  await Promise.race([
    Promise.all([watch('headers dribbled, one a second', dribbling), watch('half-sent headers, then silence', idle), watch('idle keep-alive after one request', keepAlive)]),
    giveUp.then(() => console.log(`gave up after ${seconds()} s`)),
  ]);
  clearInterval(dribble);
  for (const socket of [dribbling, idle, keepAlive]) socket.destroy();
  await stopAll();
  statsd.close();
  console.log(`StatsD lines meanwhile: ${JSON.stringify(lines.filter((line) => line !== ''))}`);
}

if (require.main === module) {
  let help: boolean;
  try {
    ({ help } = parseOptions(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`slowloris: ${(error as Error).message}\n`);
    process.exit(1);
  }
  if (help) process.stdout.write(USAGE);
  else void main();
}
