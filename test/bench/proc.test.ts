// bench/proc.ts: the drop counter of one UDP socket out of /proc/net/udp, worker pids from a master's
// log, and a process's CPU time from /proc/<pid>/stat.
import { describe, expect, it } from 'vitest';
import { cpuMicroseconds, parseStatCpuTicks, parseUdpDrops, workerPids } from '../../bench/proc';

// Real /proc/net/udp layout; 0x2398 = 9112, 0x23A0 = 9120.
const PROC_NET_UDP = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  ' 9224: 0100007F:2398 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 54191 2 000000008a26f829 17',
  '15645: 0100007F:23A0 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 67114 2 00000000a618b050 0',
  '',
].join('\n');

describe('parseUdpDrops', () => {
  it.each([
    ['the drops column of the socket on that port', 9112, 17],
    ['zero drops is 0, not "absent"', 9120, 0],
    ['no socket on that port: null', 9125, null],
  ])('%s', (_name, port, drops) => {
    expect(parseUdpDrops(PROC_NET_UDP, port)).toBe(drops);
  });
});

describe('workerPids', () => {
  it('reads Gunicorn-style boot lines and keeps live processes only', () => {
    const log = `[INFO] Booting worker with pid: ${process.pid}\n[INFO] Booting worker with pid: 999999999\n`;
    expect(workerPids(log)).toEqual([process.pid]);
  });
});

describe('parseStatCpuTicks: utime + stime (fields 14 and 15)', () => {
  // The fields after the command name of a real /proc/<pid>/stat, utime 1234 and stime 567.
  const rest = 'S 1 100 100 0 -1 4194560 2000 0 0 0 1234 567 0 0 20 0 11 0 5000 1000000 3000';
  it.each([
    ['a plain command name', `4242 (node) ${rest}`, 1801],
    ['a name with spaces', `4242 (gunicorn: worker [app]) ${rest}`, 1801],
    ['a name with parentheses: fields count from the last one', `4242 (a) b (c)) ${rest}`, 1801],
    ['a truncated line: null, not a guess', '4242 (node) S 1 100', null],
  ])('%s', (_name, stat, ticks) => {
    expect(parseStatCpuTicks(stat)).toBe(ticks);
  });

  it('this process: a positive count that only grows, in microseconds; a pid that is gone is null', () => {
    const before = cpuMicroseconds(process.pid)!;
    const until = Date.now() + 50;
    while (Date.now() < until) {
      // spend CPU time
    }
    expect(before).toBeGreaterThan(0);
    expect(cpuMicroseconds(process.pid)!).toBeGreaterThanOrEqual(before);
    expect(cpuMicroseconds(2 ** 22 + 1)).toBeNull();
  });
});
