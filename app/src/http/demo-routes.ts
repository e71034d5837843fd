// The demo routes of the original Flask app, so the dashboard has a story; delays scale for tests.
import { Router } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';

const IO_TASK_MS = 2_000;
const RANDOM_SLEEP_MAX_MS = 5_000;
/** 200 six times as often as 300 and 500, three times as often as 400. */
export const RANDOM_STATUSES: readonly number[] = [200, 200, 200, 200, 200, 200, 300, 400, 400, 500];
/** Enough work to show on a CPU panel (a few milliseconds), not enough to trip the worker timeout. */
const CPU_TASK_ITERATIONS = 1_000_000;

export interface DemoOptions {
  /** Multiplies every delay (tests use 0.01 or 0). */
  readonly delayScale: number;
  /** Uniform in [0, 1), as Math.random (tests pin it). */
  readonly random: () => number;
}

/** An item of `choices`, chosen by one draw of `random`. */
function pick<T>(choices: readonly T[], random: () => number): T {
  return choices[Math.min(choices.length - 1, Math.floor(random() * choices.length))];
}

export function demoRoutes({ delayScale, random }: DemoOptions): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('text/plain').send('Hello, World!');
  });
  router.get('/io_task', async (_req, res) => {
    // A timer, not a busy wait: the worker keeps serving other requests meanwhile.
    await sleep(IO_TASK_MS * delayScale);
    res.type('text/plain').send('IO bound task finish!');
  });
  router.get('/cpu_task', (_req, res) => {
    let sum = 0;
    for (let i = 0; i < CPU_TASK_ITERATIONS; i += 1) sum += Math.sqrt(i);
    res.type('text/plain').send(`CPU bound task finish! (${Math.round(sum)})`);
  });
  router.get('/random_sleep', async (_req, res) => {
    await sleep(random() * RANDOM_SLEEP_MAX_MS * delayScale);
    res.type('text/plain').send('random sleep');
  });
  router.get('/random_status', (_req, res) => {
    const status = pick(RANDOM_STATUSES, random);
    res.status(status).type('text/plain').send(`random status ${status}`);
  });
  router.get('/exception', () => {
    // Reaches the app's final error handler: log.exception, then a 500 (conformance/flask_app.py
    // has the same route, its error escaping to Gunicorn).
    throw new Error('demo exception from /exception');
  });
  return router;
}
