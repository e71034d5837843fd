// Rows name the reporting process (1, 2, ...) in the message only: the outage is the target's, not a process's.
import { describe, expect, it } from 'vitest';
import { createOutageLog } from '../../../app/src/statsd/outage-log';

function recorder() {
  const logged: string[] = [];
  const log = { warn: (m: string) => logged.push(`WARN ${m}`), info: (m: string) => logged.push(`INFO ${m}`) };
  return { logged, outages: createOutageLog(log) };
}

describe('createOutageLog', () => {
  it.each([
    ['one process: its warning and its recovery', [['down', 1], ['up', 1]], ['WARN d1', 'INFO u1']],
    ['three processes in one outage: the first warning, and the first recovery ends it', [['down', 1], ['down', 2], ['down', 3], ['up', 2], ['up', 1], ['up', 3]], ['WARN d1', 'INFO u2']],
    ['an idle process still marked down does not hold the outage open', [['down', 1], ['down', 2], ['up', 2], ['down', 2]], ['WARN d1', 'INFO u2', 'WARN d2']],
    ['two outages one after the other: one pair each', [['down', 1], ['up', 1], ['down', 2], ['up', 2]], ['WARN d1', 'INFO u1', 'WARN d2', 'INFO u2']],
    ['a recovery from a process never down: nothing', [['up', 7]], []],
    ['a process repeating down: still one warning', [['down', 1], ['down', 1], ['up', 1]], ['WARN d1', 'INFO u1']],
    ['a replacement process noticing the same outage: no second warning', [['down', 1], ['down', 9], ['up', 9]], ['WARN d1', 'INFO u9']],
  ] as const)('%s', (_name, events, expected) => {
    const { logged, outages } = recorder();
    for (const [event, pid] of events) {
      outages[event](`${event[0]}${pid}`);
    }
    expect(logged).toEqual(expected);
  });
});
