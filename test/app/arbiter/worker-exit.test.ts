// What the master logs when a worker exits: gunicorn/arbiter.py reap_workers() (27.0.1), row by row.
import { describe, expect, it } from 'vitest';
import { describeWorkerExit } from '../../../app/src/arbiter/worker-exit';

describe('describeWorkerExit', () => {
  it.each([
    ['exit 0 (its own graceful or quick stop): nothing', 0, null, []],
    ['SIGKILL: error, with the out-of-memory hint', null, 'SIGKILL', [{ level: 'error', message: 'Worker (pid:42) was sent SIGKILL! Perhaps out of memory?' }]],
    ['SIGTERM: routine, info', null, 'SIGTERM', [{ level: 'info', message: 'Worker (pid:42) was sent SIGTERM!' }]],
    ['any other signal: warning', null, 'SIGSEGV', [{ level: 'warning', message: 'Worker (pid:42) was sent SIGSEGV!' }]],
    ['a non-zero exit code: error', 1, null, [{ level: 'error', message: 'Worker (pid:42) exited with code 1.' }]],
    ['the boot error code: error (the master then halts)', 3, null, [{ level: 'error', message: 'Worker (pid:42) exited with code 3.' }]],
  ] as const)('%s', (_name, code, signal, expected) => {
    expect(describeWorkerExit(42, code, signal)).toEqual(expected);
  });
});
