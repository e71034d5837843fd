// A UDP socket that is bound but never read: datagrams sent to it cost the sender exactly what
// they cost with a real receiver (on loopback the kernel delivers them within the send), and the
// receiver nothing — once its buffer is full the kernel discards them. Sending the app's lines
// here measures the app's own cost of metrics, without the exporter's CPU on the shared cores.
//
// Its receive buffer is the smallest the kernel allows, so it is full after a datagram or two and
// every later datagram is a drop: the drop counter of /proc/net/udp then counts what was sent.
import { LOOPBACK } from '../harness/ports';
import { start } from '../harness/processes';

// Node reads a bound socket as soon as its event loop runs, so the loop is blocked for good
// (Atomics.wait uses no CPU). SIGTERM's default action still ends the process.
const SCRIPT = `
const socket = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 1 });
socket.bind(0, ${JSON.stringify(LOOPBACK)}, () => {
  process.stdout.write('bound ' + socket.address().port + '\\n', () =>
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});`;

export interface DiscardingSink {
  readonly port: number;
  stop(): Promise<unknown>;
}

export async function startDiscardingSink(): Promise<DiscardingSink> {
  const started = start('udp-discard', process.execPath, ['-e', SCRIPT]);
  const output = await started.waitForOutput(/bound \d+\n/);
  return { port: Number(/bound (\d+)/.exec(output)![1]), stop: () => started.stop() };
}
