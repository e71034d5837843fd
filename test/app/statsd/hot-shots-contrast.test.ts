// Why the Gunicorn lines are formatted by app/src/statsd/lines.ts and sent by the app's own socket
// layer, not by hot-shots: on a real UDP socket, hot-shots' formatting API writes different bytes
// for the same events.
import { StatsD } from 'hot-shots';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { durationLine, requestsLine, statusLine, workersLine } from '../../../app/src/statsd/lines';
import { collectUdp, type UdpCollector } from '../../../harness/udp';

const PREFIX = 'flask_app.';
let udp: UdpCollector;
let client: StatsD;

beforeEach(async () => {
  udp = await collectUdp();
  client = new StatsD({
    host: '127.0.0.1',
    port: udp.port,
    prefix: `${PREFIX}gunicorn.`,
    includeDataDogTags: false,
    errorHandler: (error) => {
      throw error;
    },
  });
});

afterEach(async () => {
  await new Promise<void>((resolve) => client.close(() => resolve()));
  await udp.close();
});

/** What hot-shots put on the wire for one call. */
async function hotShots(send: (statsd: StatsD) => void): Promise<string> {
  send(client);
  const [line] = await udp.waitFor((lines) => lines.length === 1);
  return line;
}

describe('hot-shots against Gunicorn, byte for byte', () => {
  it.each([
    ['a counter drops the "|@1.0" sample rate Gunicorn always writes', (s: StatsD) => s.increment('requests'),
      'flask_app.gunicorn.requests:1|c', requestsLine(PREFIX, '')],
    ['the status counter, the same', (s: StatsD) => s.increment('request.status.200'),
      'flask_app.gunicorn.request.status.200:1|c', statusLine(PREFIX, '', 200)],
    ['a whole-millisecond timer loses the ".0" Python prints', (s: StatsD) => s.timing('request.duration', 1),
      'flask_app.gunicorn.request.duration:1|ms', durationLine(PREFIX, '', 1_000_000n)],
  ])('%s', async (_name, send, hotShotsLine, gunicornLine) => {
    const line = await hotShots(send);
    expect(line).toBe(hotShotsLine);
    expect(line).not.toBe(gunicornLine);
  });

  it('a gauge is the one line they agree on', async () => {
    expect(await hotShots((s) => s.gauge('workers', 2))).toBe(workersLine(PREFIX, '', 2));
  });
});
