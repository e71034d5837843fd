// The accept queues of the master's listening sockets: what Gunicorn's --enable-backlog-metric sends as gunicorn.backlog.
//
// Gunicorn (27.0.1, Linux) sums, over its listeners, TCP_INFO's tcpi_unacked, which for a
// listening socket is the kernel's sk_ack_backlog: connections the kernel has completed but no
// process has accepted yet. Node cannot call getsockopt(TCP_INFO), so this reads the same number
// where the kernel also shows it: for a socket in state LISTEN, /proc/net/tcp{,6} prints
// sk_ack_backlog as rx_queue. The row is found by the inode of the socket behind the master's
// file descriptor (/proc/self/fd). Each read walks the namespace's whole TCP table: cheap for a
// container's sockets, once a second.
//
// In this app the master binds the sockets and every worker accepts on its copy, as in Gunicorn
// (see bound-sockets.ts), so the queue is the one real queue all workers drain: it grows when every
// worker's event loop is too busy to accept, and holds 0 otherwise.
import { readFileSync, readlinkSync } from 'node:fs';

const PROC_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
const TCP_LISTEN = '0A';

/** Pure: socket inode → accept-queue length, for every LISTEN row of a /proc/net/tcp{,6} table. */
export function listenQueues(table: string): Map<string, number> {
  const queues = new Map<string, number>();
  for (const row of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const fields = row.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
    const rxQueue = fields[4].split(':')[1];
    queues.set(fields[9], Number.parseInt(rxQueue, 16));
  }
  return queues;
}

/** Pure: the inode of a socket from its /proc/self/fd link text ("socket:[12345]"), else null. */
export function socketInode(link: string): string | null {
  return /^socket:\[(\d+)\]$/.exec(link)?.[1] ?? null;
}

/**
 * A function that returns the connections now waiting in the accept queues of these file
 * descriptors (summed, as Gunicorn sums its listeners), or null where /proc is not Linux's: there
 * Gunicorn sends no backlog line either. A socket not yet listening counts 0. The descriptors are
 * this process's unless `fdDirectory` names another's (/proc/<pid>/fd).
 */
export function createBacklogProbe(fds: readonly number[], fdDirectory = '/proc/self/fd'): (() => number) | null {
  if (process.platform !== 'linux') return null;
  const inodes = fds.map((fd) => {
    try {
      return socketInode(readlinkSync(`${fdDirectory}/${fd}`));
    } catch {
      return null;
    }
  });
  return () => {
    const queues = new Map<string, number>();
    for (const file of PROC_TABLES) {
      try {
        for (const [inode, length] of listenQueues(readFileSync(file, 'utf8'))) queues.set(inode, length);
      } catch {
        // No IPv6 in this kernel or namespace: no tcp6 table.
      }
    }
    return inodes.reduce((sum, inode) => sum + (inode === null ? 0 : queues.get(inode) ?? 0), 0);
  };
}
