// Requests the HTTP parser rejects never reach the app: answered as Gunicorn answers them, with a
// counted warning and no request triple.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../../../harness/processes';
import { logCounter, startMaster, type Master } from '../../../support/app-master';
import { rawExchange } from '../../../support/load';

let master: Master;
beforeAll(async () => {
  master = await startMaster([], 1);
  // startMaster's own GET / is reported asynchronously: let its triple land before any clear().
  await master.udp.waitFor((lines) => lines.some((line) => line.includes('.gunicorn.request.status.200:')));
});
afterAll(async () => {
  await stopAll();
  await master.udp.close();
});

describe('a request the parser rejects', () => {
  it.each([
    ['a malformed request line', 'NOT A REQUEST\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['headers over the 16 KiB limit', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large'],
  ])('%s: answered, logged as Gunicorn logs it, counted as log.warning, no request triple', async (_name, bytes, statusLine) => {
    master.udp.clear();
    const before = master.app.process.output().length;

    const answer = await rawExchange(master.app.port, bytes);

    expect(answer.split('\r\n')[0]).toBe(statusLine);
    const lines = await master.udp.waitFor((received) => received.includes(logCounter('warning')));
    expect(master.app.process.output().slice(before)).toMatch(/\[WARNING\] Invalid request from ip=127\.0\.0\.1: /);
    // Let any stray line arrive before asserting there is none.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(master.udp.lines()).toEqual([logCounter('warning')]);
    expect(lines).not.toContainEqual(expect.stringMatching(/gunicorn\.requests:/));
  });

  it('leaves the worker serving: the next request is answered and reported', async () => {
    master.udp.clear();
    const response = await fetch(`${master.app.url}/`);
    expect(response.status).toBe(200);
    await master.udp.waitFor((lines) => lines.some((line) => line.endsWith('.gunicorn.request.status.200:1|c|@1.0')));
  });
});
