// HAProxy's view of the app replicas, from its read-only status page (/stats;csv on :8404, the
// compose network only): one row per server slot of the `app` backend, with the replica's
// address, HAProxy's verdict on it, and its connection counters; and the `app` frontend's totals.
// The counters are exact, unlike HAProxy's log, which drops lines when its stdout cannot take them.

export interface ServerRow {
  /** The slot, app1..app10 (server-template). */
  readonly name: string;
  /** The replica's IP address, '' for a slot DNS has not filled. */
  readonly address: string;
  /** UP, DOWN, MAINT (resolution), ... as HAProxy reports it. */
  readonly status: string;
  /** Connections HAProxy has sent it (stot), counting each attempt of a redispatched one. */
  readonly sessions: number;
  /** Connection attempts to it that were retried (wretr) and redispatched (wredis). */
  readonly retries: number;
  readonly redispatches: number;
  /** Connections to it that failed to open and were not redispatched, reaching the client as an error (econ). */
  readonly connectErrors: number;
  /** Bytes it sent to clients through HAProxy (bout): the responses. */
  readonly bytesOut: number;
}

export interface FrontendRow {
  /** Client connections HAProxy accepted (stot). */
  readonly sessions: number;
  /** Bytes HAProxy sent to those clients (bout). */
  readonly bytesOut: number;
}

type Fields = (name: string) => string;

/** The rows of a /stats;csv page, each as a lookup by column name. */
function csvRows(csv: string): Fields[] {
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  return lines.map((line) => {
    const fields = line.split(',');
    return (name: string) => fields[columns.indexOf(name)] ?? '';
  });
}

/** The `app` backend's server rows of a /stats;csv page. */
export function appServers(csv: string): ServerRow[] {
  return csvRows(csv)
    .filter((row) => row('pxname') === 'app' && !['FRONTEND', 'BACKEND'].includes(row('svname')))
    .map((row) => ({
      name: row('svname'),
      address: row('addr').replace(/:\d+$/, ''),
      status: row('status'),
      sessions: Number(row('stot')),
      retries: Number(row('wretr')),
      redispatches: Number(row('wredis')),
      connectErrors: Number(row('econ')),
      bytesOut: Number(row('bout')),
    }));
}

/** The `app` frontend's row of a /stats;csv page: every client connection on :8000. */
export function appFrontend(csv: string): FrontendRow {
  const row = csvRows(csv).find((candidate) => candidate('pxname') === 'app' && candidate('svname') === 'FRONTEND');
  if (!row) throw new Error(`no FRONTEND row for the app proxy in HAProxy's stats:\n${csv}`);
  return { sessions: Number(row('stot')), bytesOut: Number(row('bout')) };
}

export const upServers = (rows: readonly ServerRow[]) => rows.filter((row) => row.status === 'UP');
