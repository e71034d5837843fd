// One warning per StatsD outage for the whole server. Every process (master and each worker) has
// its own socket and notices an outage on its own; the master hears of each from its workers over
// IPC and logs only the first "cannot send", and "sending again" as soon as any process can: they
// all send to the same target, and an idle process (the master sends only on worker changes)
// might not notice the recovery for hours.

export interface OutageLog {
  /** A process cannot send; logs `message` unless the outage is already known. */
  down(message: string): void;
  /** A process sends again, which proves the target answers: logs `message` and ends the outage. */
  up(message: string): void;
}

export function createOutageLog(log: { warn(message: string): void; info(message: string): void }): OutageLog {
  let inOutage = false;
  return {
    down(message) {
      if (!inOutage) log.warn(message);
      inOutage = true;
    },
    up(message) {
      if (inOutage) log.info(message);
      inOutage = false;
    },
  };
}
