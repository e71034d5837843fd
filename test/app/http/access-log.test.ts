// --access-logfile: Gunicorn's default access log format, one line per completed request.
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatAccessTime } from '../../../app/src/http/access-log';
import { harness, type Harness } from '../../support/app-harness';

const originalTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const NOV_25_2026_1930_UTC = new Date(Date.UTC(2026, 10, 25, 19, 30, 0));
// supertest listens on every interface: the client address may come as IPv4-mapped IPv6.
const LOOPBACK_CLIENT = /^(?:::ffff:)?127\.0\.0\.1 /;

let current: Harness | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function logged(send: (h: Harness) => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  current = await harness({ accessLog: (line) => lines.push(line), date: () => NOV_25_2026_1930_UTC });
  await send(current);
  return lines;
}

describe('access log lines: %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"', () => {
  it('a request with every field', async () => {
    const lines = await logged((h) => request(h.app)
      .get('/?q=1')
      .set('Referer', 'http://example.test/')
      .set('User-Agent', 'test-agent/1.0')
      .auth('alice', 'secret')
      .expect(200));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(LOOPBACK_CLIENT);
    expect(lines[0].replace(LOOPBACK_CLIENT, ''))
      .toBe('- alice [25/Nov/2026:19:30:00 +0000] "GET /?q=1 HTTP/1.1" 200 13 "http://example.test/" "test-agent/1.0"\n');
  });

  it('missing user, referer and agent are "-"; a 404 logs its status and length', async () => {
    const lines = await logged((h) => request(h.app).get('/nope').unset('User-Agent').expect(404));
    expect(lines.map((line) => line.replace(LOOPBACK_CLIENT, '')))
      .toEqual(['- - [25/Nov/2026:19:30:00 +0000] "GET /nope HTTP/1.1" 404 9 "-" "-"\n']);
  });
});

describe('the time field: Apache common log time, local time, as Gunicorn\'s now()', () => {
  it.each([
    ['UTC', '[25/Nov/2026:19:30:00 +0000]'],
    ['Asia/Kolkata', '[26/Nov/2026:01:00:00 +0530]'],
    ['America/New_York', '[25/Nov/2026:14:30:00 -0500]'],
  ])('TZ=%s → %s', (tz, expected) => {
    process.env.TZ = tz;
    expect(formatAccessTime(NOV_25_2026_1930_UTC)).toBe(expected);
  });
});
