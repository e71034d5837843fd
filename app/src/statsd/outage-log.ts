// One warning per StatsD outage for the whole server. Every process (master and each worker) has
// its own socket and notices an outage on its own; the master hears of each from its workers over
// IPC and logs only the first "cannot send", and "sending again" as soon as any process can: they
// all send to the same target, and an idle process (the master sends only on worker changes)
// might not notice the recovery for hours.

export interface OutageLog {
  /** `source` (a pid) cannot send; logs `message` only if no other source already could not. */
  down(source: number, message: string): void;
  /** `source` sends again, which proves the target answers: logs `message` and ends the outage. */
  up(source: number, message: string): void;
}

export function createOutageLog(log: { warn(message: string): void; info(message: string): void }): OutageLog {
  const down = new Set<number>();
  return {
    down(source, message) {
      if (down.size === 0) log.warn(message);
      down.add(source);
    },
    up(_source, message) {
      if (down.size === 0) return;
      down.clear();
      log.info(message);
    },
  };
}
