// Reading the accept queues of listening sockets from /proc: the table parsing (pure, from real
// rows), and the probe on a real listening socket whose queue this test fills.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createBacklogProbe, listenQueues, socketInode } from '../../../app/src/arbiter/backlog';
import { LOOPBACK } from '../../../harness/ports';

// Rows as Linux 6.x prints them: a LISTEN socket with 3 connections waiting (rx_queue 3, limit
// 511 = 0x1FF in tx_queue), an idle LISTEN socket, an ESTABLISHED one with 5 unread bytes.
const TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1F40 00000000:0000 0A 000001FF:00000003 00:00000000 00000000     0        0 412345 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 412346 1 0000000000000000 100 0 0 10 0',
  '   2: 0100007F:1F40 0100007F:C350 01 00000000:00000005 00:00000000 00000000     0        0 412399 1 0000000000000000 20 4 30 10 -1',
  '',
].join('\n');

describe('listenQueues', () => {
  it('maps the inode of each LISTEN socket to its rx_queue, the connections not yet accepted', () => {
    expect(listenQueues(TABLE)).toEqual(new Map([['412345', 3], ['412346', 0]]));
  });

  it('reads nothing from a table with only its header', () => {
    expect(listenQueues(TABLE.split('\n')[0])).toEqual(new Map());
  });
});

describe('socketInode', () => {
  it.each([
    ['a socket link', 'socket:[412345]', '412345'],
    ['a file', '/dev/null', null],
    ['a pipe', 'pipe:[99]', null],
  ])('%s', (_name, link, inode) => {
    expect(socketInode(link)).toBe(inode);
  });
});

describe('createBacklogProbe on a real listening socket', () => {
  let holder: ChildProcessWithoutNullStreams | undefined;
  const sockets: net.Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    holder?.kill('SIGKILL');
  });

  it('counts the connections the kernel has completed but no process has accepted', async () => {
    // A process that listens and never accepts. (Node cannot be that process: libuv accepts one
    // connection as soon as the socket is readable, before any JavaScript decides.)
    holder = spawn('python3', ['-c', [
      'import socket, sys, time',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)',
      'print(s.getsockname()[1], s.fileno(), flush=True)',
      'time.sleep(60)',
    ].join('\n')]);
    const [line] = (await once(createInterface(holder.stdout), 'line')) as [string];
    const [port, fd] = line.trim().split(/\s+/).map(Number);
    const probe = createBacklogProbe([fd], `/proc/${holder.pid}/fd`);
    expect(probe?.()).toBe(0);
    for (let i = 0; i < 4; i += 1) {
      sockets.push(await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(port, LOOPBACK, () => resolve(socket));
        socket.once('error', reject);
      }));
    }
    // The server side of a handshake may complete just after the client's: poll, bounded.
    await expect.poll(() => probe?.(), { timeout: 5_000, interval: 20 }).toBe(4);
  });
});
