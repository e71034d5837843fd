// Readings from /proc: CPU time, worker memory, and the kernel's drop counter of a UDP socket.
// The exporter's own udp_packet_drops_total only counts its internal queue overflowing; a datagram
// the kernel drops because the socket's receive buffer is full never reaches it, so both are read.
// The discarding socket is never read, so its drop counter is the count of what was sent to it.
import { existsSync, readFileSync } from 'node:fs';

/** Resident set size of `pid` in KiB (VmRSS), or null once the process is gone. */
export function vmRssKiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Worker pids from a master's log ("Booting worker with pid: N", as Gunicorn, the app and the
 * peers print it), keeping only those still alive. */
export function workerPids(masterOutput: string): number[] {
  const pids = [...masterOutput.matchAll(/Booting worker with pid: (\d+)/g)].map((match) => Number(match[1]));
  return [...new Set(pids)].filter((pid) => existsSync(`/proc/${pid}`));
}

/** Parses /proc/net/udp{,6} text: the `drops` column summed over sockets bound to `port`. */
export function parseUdpDrops(procNetUdp: string, port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let found = false;
  let drops = 0;
  for (const line of procNetUdp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    if (fields[1].split(':')[1] !== hexPort) continue;
    found = true;
    drops += Number(fields[12]);
  }
  return found ? drops : null;
}

/** Datagrams the kernel dropped for UDP sockets on `port` (receive buffer full); null if none bound. */
export function kernelUdpDrops(port: number): number | null {
  let total: number | null = null;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const drops = parseUdpDrops(text, port);
    if (drops !== null) total = (total ?? 0) + drops;
  }
  return total;
}

/** utime + stime (fields 14 and 15, in clock ticks) from /proc/<pid>/stat text. The command name
 * (field 2) is in parentheses and may hold spaces or parentheses, so fields count from its last ')'. */
export function parseStatCpuTicks(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** Linux reports /proc times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICK_MICROSECONDS = 10_000;

/** CPU time (user + system) `pid` has used, in microseconds (10 ms resolution), or null once gone. */
export function cpuMicroseconds(pid: number): number | null {
  try {
    const ticks = parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ticks === null ? null : ticks * TICK_MICROSECONDS;
  } catch {
    return null;
  }
}

/** Summed CPU time of `pids` (microseconds); a pid that is gone counts 0. */
export function totalCpuMicroseconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (cpuMicroseconds(pid) ?? 0), 0);
}
