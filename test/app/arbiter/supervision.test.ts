// The arbiter's decisions, one table each: what to fork, whom to retire or kill, what the workers
// gauge sends, how TTIN/TTOU/HUP move the workers, what a stop request and a worker's exit lead to.
// The master carries them out; test/app/arbiter/master/ proves that with real forked processes.
import { describe, expect, it } from 'vitest';
import {
  afterExit, planWorkers, QUICK_STOP_MS, replacedOnReload, resizedTarget, silentWorkers, stopStep, workersGauge,
  type WorkerView,
} from '../../../app/src/arbiter/supervision';

/** A worker by pid; its age is its pid (spawn order), serving and not retiring unless told. */
function worker(pid: number, state: Partial<Omit<WorkerView, 'pid' | 'age'>> = {}): WorkerView {
  return { pid, age: pid, serving: true, retiring: false, replaced: false, ...state };
}

describe('planWorkers: fork up to the target, retire the oldest beyond it', () => {
  it.each<[string, WorkerView[], number, { spawn: number; retire: number[] }]>([
    ['start-up: no workers, target 2 → fork 2', [], 2, { spawn: 2, retire: [] }],
    ['steady: as many as the target → nothing', [worker(1), worker(2)], 2, { spawn: 0, retire: [] }],
    ['a worker died → fork its replacement', [worker(2)], 2, { spawn: 1, retire: [] }],
    ['TTIN: target above the count → fork one', [worker(1), worker(2)], 3, { spawn: 1, retire: [] }],
    ['TTOU: target below the count → retire the oldest', [worker(1), worker(2), worker(3)], 2, { spawn: 0, retire: [1] }],
    ['two below → the two oldest, oldest first', [worker(3), worker(1), worker(2)], 1, { spawn: 0, retire: [1, 2] }],
    ['a retiring worker does not count toward the target', [worker(1, { retiring: true }), worker(2)], 2,
      { spawn: 1, retire: [] }],
    ['a retiring worker is not retired again', [worker(1, { retiring: true }), worker(2), worker(3)], 2,
      { spawn: 0, retire: [] }],
    ['HUP: every worker replaced → fork a new set, the old ones stay for now',
      [worker(1, { replaced: true }), worker(2, { replaced: true })], 2, { spawn: 2, retire: [] }],
    ['HUP: new workers still booting → the replaced ones keep serving',
      [worker(1, { replaced: true }), worker(2, { replaced: true }), worker(3), worker(4, { serving: false })], 2,
      { spawn: 0, retire: [] }],
    ['HUP: every new worker serving → the replaced ones retire, oldest first',
      [worker(2, { replaced: true }), worker(1, { replaced: true }), worker(3), worker(4)], 2,
      { spawn: 0, retire: [1, 2] }],
    ['HUP: a replaced worker already retiring is not retired again',
      [worker(1, { replaced: true, retiring: true }), worker(2, { replaced: true }), worker(3), worker(4)], 2,
      { spawn: 0, retire: [2] }],
    ['HUP with TTOU since: the excess new worker and the replaced ones retire',
      [worker(1, { replaced: true }), worker(3), worker(4)], 1, { spawn: 0, retire: [3, 1] }],
  ])('%s', (_name, workers, target, expected) => {
    expect(planWorkers(workers, target)).toEqual(expected);
  });
});

describe('workersGauge: the workers kept, at most the target; sent only on a change', () => {
  it.each<[string, number, number, number, number | null]>([
    ['first report after start-up', 2, 2, 0, 2],
    ['unchanged → nothing', 2, 2, 2, null],
    ['HUP: old and new workers both alive → still the target', 4, 2, 2, null],
    ['TTOU: the gauge follows the target at once, the retired worker still alive', 3, 2, 3, 2],
    ['TTIN: one more forked', 3, 3, 2, 3],
    ['a death not yet replaced (target above the count)', 1, 2, 2, 1],
  ])('%s', (_name, known, target, lastSent, expected) => {
    expect(workersGauge(known, target, lastSent)).toBe(expected);
  });
});

describe('silentWorkers: silent for longer than the timeout, each killed once', () => {
  const timeoutMs = 30_000;
  it.each<[string, { pid: number; lastSeen: number; timedOut: boolean }[], number, number[]]>([
    ['heard from within the timeout → none', [{ pid: 1, lastSeen: 90_000, timedOut: false }], 100_000, []],
    ['silent exactly the timeout → not yet', [{ pid: 1, lastSeen: 70_000, timedOut: false }], 100_000, []],
    ['silent longer → killed', [{ pid: 1, lastSeen: 69_999, timedOut: false }], 100_000, [1]],
    ['already killed → not again', [{ pid: 1, lastSeen: 0, timedOut: true }], 100_000, []],
    ['only the silent ones, in order', [
      { pid: 1, lastSeen: 0, timedOut: false },
      { pid: 2, lastSeen: 99_000, timedOut: false },
      { pid: 3, lastSeen: 10, timedOut: false },
    ], 100_000, [1, 3]],
  ])('%s', (_name, workers, now, expected) => {
    expect(silentWorkers(workers, now, timeoutMs)).toEqual(expected);
  });
});

describe('resizedTarget: TTIN adds one, TTOU removes one, never below one', () => {
  it.each<[string, number, 1 | -1, number]>([
    ['TTIN from 1', 1, 1, 2],
    ['TTIN from 3', 3, 1, 4],
    ['TTOU from 3', 3, -1, 2],
    ['TTOU from 2', 2, -1, 1],
    ['TTOU at 1 → refused', 1, -1, 1],
  ])('%s', (_name, target, change, expected) => {
    expect(resizedTarget(target, change)).toBe(expected);
  });
});

describe('replacedOnReload: HUP replaces every worker not already retiring', () => {
  it.each<[string, WorkerView[], number[]]>([
    ['all serving', [worker(1), worker(2)], [1, 2]],
    ['one retiring after TTOU', [worker(1, { retiring: true }), worker(2)], [2]],
    ['a second HUP: the replaced ones again, and the new', [worker(1, { replaced: true }), worker(3)], [1, 3]],
    ['none', [], []],
  ])('%s', (_name, workers, expected) => {
    expect(replacedOnReload(workers)).toEqual(expected);
  });
});

describe('stopStep: what a stop signal does', () => {
  it.each<[string, Parameters<typeof stopStep>, ReturnType<typeof stopStep>]>([
    ['SIGTERM: SIGTERM to the workers, --graceful-timeout to finish', [null, 'graceful', 30_000],
      { kind: 'begin', mode: 'graceful', signal: 'SIGTERM', deadlineMs: 30_000 }],
    ['SIGINT/SIGQUIT: SIGQUIT, the quick deadline', [null, 'quick', 30_000],
      { kind: 'begin', mode: 'quick', signal: 'SIGQUIT', deadlineMs: QUICK_STOP_MS }],
    ['SIGQUIT with a graceful timeout shorter than the quick deadline: the shorter', [null, 'quick', 500],
      { kind: 'begin', mode: 'quick', signal: 'SIGQUIT', deadlineMs: 500 }],
    ['a second SIGTERM during a graceful stop: made quick', ['graceful', 'graceful', 30_000],
      { kind: 'quicken', signal: 'SIGQUIT', deadlineMs: QUICK_STOP_MS }],
    ['SIGINT during a graceful stop: made quick', ['graceful', 'quick', 30_000],
      { kind: 'quicken', signal: 'SIGQUIT', deadlineMs: QUICK_STOP_MS }],
    ['anything during a quick stop: ignored', ['quick', 'graceful', 30_000], { kind: 'ignore' }],
  ])('%s', (_name, args, expected) => {
    expect(stopStep(...args)).toEqual(expected);
  });
});

describe('afterExit: what a worker\'s exit leads to', () => {
  const BOOT_ERROR = 3;
  it.each<[string, boolean, number, number | null, ReturnType<typeof afterExit>]>([
    ['running: a worker crashed → replaced', false, 1, 1, 'replace'],
    ['running: killed by a signal → replaced', false, 1, null, 'replace'],
    ['running: failed to boot → the master stops', false, 1, BOOT_ERROR, 'stop-boot-failed'],
    ['stopping: workers left → wait', true, 1, 0, 'wait'],
    ['stopping: the last one → finish', true, 0, 0, 'finish'],
    ['stopping: the last one failed to boot → finish all the same', true, 0, BOOT_ERROR, 'finish'],
  ])('%s', (_name, stopping, left, code, expected) => {
    expect(afterExit(stopping, left, code, BOOT_ERROR)).toBe(expected);
  });
});
