// HAProxy's view of the app replicas, from its read-only status page (/stats;csv on :8404, the
// compose network only): one row per server slot of the `app` backend, with the replica's
// address, HAProxy's verdict on it, and its connection counters.

export interface ServerRow {
  /** The slot, app1..app10 (server-template). */
  readonly name: string;
  /** The replica's IP address, '' for a slot DNS has not filled. */
  readonly address: string;
  /** UP, DOWN, MAINT (resolution), ... as HAProxy reports it. */
  readonly status: string;
  /** Connections HAProxy has sent it (stot). */
  readonly sessions: number;
  /** Connection attempts to it that were retried (wretr) and redispatched (wredis). */
  readonly retries: number;
  readonly redispatches: number;
}

/** The `app` backend's server rows of a /stats;csv page. */
export function appServers(csv: string): ServerRow[] {
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const column = (fields: string[], name: string) => fields[columns.indexOf(name)] ?? '';
  return lines
    .map((line) => line.split(','))
    .filter((fields) => column(fields, 'pxname') === 'app' && !['FRONTEND', 'BACKEND'].includes(column(fields, 'svname')))
    .map((fields) => ({
      name: column(fields, 'svname'),
      address: column(fields, 'addr').replace(/:\d+$/, ''),
      status: column(fields, 'status'),
      sessions: Number(column(fields, 'stot')),
      retries: Number(column(fields, 'wretr')),
      redispatches: Number(column(fields, 'wredis')),
    }));
}

export const upServers = (rows: readonly ServerRow[]) => rows.filter((row) => row.status === 'UP');
