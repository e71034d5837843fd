// bench/proc.ts: the drop counter of one UDP socket out of /proc/net/udp, and worker pids from a master's log.
import { describe, expect, it } from 'vitest';
import { parseUdpDrops, workerPids } from '../../bench/proc';

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
