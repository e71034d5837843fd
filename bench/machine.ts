// What the numbers were measured on: printed at the top of the table and stored with the JSON, so
// runs on different machines (or a busy vs a quiet one) are never compared unknowingly.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface Machine {
  readonly date: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly nodeVersion: string;
  readonly os: string;
  readonly memoryMiB: number;
  /** 1/5/15-minute load averages when the bench started: how busy the shared machine was. */
  readonly loadAverageStart: readonly number[];
  /** Share of CPU time idle over one second before the bench started (all cores), in percent. */
  readonly idlePercentStart: number | null;
}

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes | null {
  try {
    // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..." in ticks.
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return null;
  }
}

/** CPU ticks used by this process and its reaped descendants (every process the bench started, once
 * stopped: a master reaps its workers, the bench reaps the master): utime+stime+cutime+cstime. */
function ownTicks(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after "(comm)": state is field 3, so utime (14) .. cstime (17) are at 11..14 here.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return fields[11] + fields[12] + fields[13] + fields[14];
  } catch {
    return null;
  }
}

export interface CpuShare {
  /** Percent of all cores' time over the run: busy in all, used by the bench and what it started, the rest. */
  readonly busyPercent: number;
  readonly benchPercent: number;
  readonly othersPercent: number;
}

/** Starts counting; the returned function gives the shares since then (null off Linux). On a
 * shared machine this says how much of the run other people's processes took. */
export function startCpuAccounting(): () => CpuShare | null {
  const before = { cpu: cpuTimes(), own: ownTicks() };
  return () => {
    const after = { cpu: cpuTimes(), own: ownTicks() };
    if (!before.cpu || !after.cpu || before.own === null || after.own === null) return null;
    const total = after.cpu.total - before.cpu.total;
    if (total <= 0) return null;
    const percent = (ticks: number) => Math.round((1000 * ticks) / total) / 10;
    const busy = percent(total - (after.cpu.idle - before.cpu.idle));
    const bench = percent(after.own - before.own);
    return { busyPercent: busy, benchPercent: bench, othersPercent: Math.max(0, Math.round(10 * (busy - bench)) / 10) };
  };
}

/** Idle share of all cores over `ms`, from /proc/stat; null off Linux. */
export async function idlePercent(ms = 1000): Promise<number | null> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  if (!before || !after || after.total === before.total) return null;
  return Math.round((1000 * (after.idle - before.idle)) / (after.total - before.total)) / 10;
}

export function roundedLoadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

export async function describeMachine(now = new Date()): Promise<Machine> {
  const cpus = os.cpus();
  return {
    date: now.toISOString(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    nodeVersion: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverageStart: roundedLoadAverage(),
    idlePercentStart: await idlePercent(),
  };
}
