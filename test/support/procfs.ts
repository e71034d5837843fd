// Linux /proc readers for the fault tests: which worker process holds the server side of a client's
// connection, and a process's state. Deterministic where timing-based guesses would not be.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Server-side TCP sockets listening-port `serverPort`, by the client's port: the socket inode.
 * `netnsPid`: read the tables of that process's network namespace (a container's) instead of ours.
 */
function serverSocketInodes(serverPort: number, netnsPid?: number): Map<number, string> {
  const byClientPort = new Map<number, string>();
  const dir = netnsPid === undefined ? '/proc/net' : `/proc/${netnsPid}/net`;
  for (const table of [`${dir}/tcp`, `${dir}/tcp6`]) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = parseInt(fields[1].split(':')[1], 16);
      const remotePort = parseInt(fields[2].split(':')[1], 16);
      const listening = fields[3] === '0A';
      const inode = fields[9];
      if (localPort === serverPort && !listening && inode !== '0') byClientPort.set(remotePort, inode);
    }
  }
  return byClientPort;
}

function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // the fd closed while we looked
    }
  }
  return inodes;
}

/**
 * Which of `pids` holds the accepted connection from each client port to `serverPort`.
 * Client ports whose connection no listed process holds (not yet handed to a worker) are absent.
 * For a container's server, pass its process as `netnsPid`.
 */
export function connectionOwners(serverPort: number, pids: readonly number[], netnsPid?: number): Map<number, number> {
  const inodes = serverSocketInodes(serverPort, netnsPid);
  const owners = new Map<number, number>();
  const inodesByPid = pids.map((pid) => [pid, socketInodesOf(pid)] as const);
  for (const [clientPort, inode] of inodes) {
    for (const [pid, held] of inodesByPid) {
      if (held.has(inode)) {
        owners.set(clientPort, pid);
        break;
      }
    }
  }
  return owners;
}

/** The one-letter state of a process (R, S, T stopped, Z zombie), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** The processes whose parent is `pid` (an app master's workers). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
