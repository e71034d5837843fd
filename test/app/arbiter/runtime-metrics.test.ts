// Runtime metrics: how the processes' series combine (pure), and the event-loop counter; the --metrics-bind
// listener of a real master over two workers is in master/metrics-bind.test.ts.
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { aggregateRuntimeMetrics, createRuntimeRegistry, EVENT_LOOP_ACTIVE } from '../../../app/src/arbiter/runtime-metrics';

/** One process's registry, as getMetricsAsJSON() sends it over IPC. */
async function processMetrics(role: 'master' | 'worker', values: { cpu: number; lag: number; maxFds: number; start: number }) {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  // The names, types and aggregators of prom-client's default metrics of the same names.
  new Counter({ name: 'process_cpu_user_seconds_total', help: 'cpu', registers: [registry] }).inc(values.cpu);
  new Gauge({ name: 'nodejs_eventloop_lag_seconds', help: 'lag', aggregator: 'average', registers: [registry] }).set(values.lag);
  new Gauge({ name: 'process_max_fds', help: 'fds', registers: [registry] }).set(values.maxFds);
  new Gauge({ name: 'process_start_time_seconds', help: 'start', aggregator: 'omit', registers: [registry] }).set(values.start);
  return registry.getMetricsAsJSON();
}

describe('aggregateRuntimeMetrics', () => {
  it('keeps the master apart, sums worker counters, takes the worst worker\'s lag, one limit, the newest start; no per-pid label', async () => {
    const registry = aggregateRuntimeMetrics([
      await processMetrics('master', { cpu: 0.5, lag: 0.001, maxFds: 1024, start: 100 }),
      await processMetrics('worker', { cpu: 2, lag: 0.01, maxFds: 1024, start: 200 }),
      await processMetrics('worker', { cpu: 3, lag: 0.25, maxFds: 1024, start: 300 }),
    ]);
    const samples = (await registry.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#')).sort();
    expect(samples).toEqual([
      'nodejs_eventloop_lag_seconds{role="master"} 0.001',
      'nodejs_eventloop_lag_seconds{role="worker"} 0.25',
      'process_cpu_user_seconds_total{role="master"} 0.5',
      'process_cpu_user_seconds_total{role="worker"} 5',
      'process_max_fds{role="master"} 1024',
      'process_max_fds{role="worker"} 1024',
      'process_start_time_seconds{role="master"} 100',
      'process_start_time_seconds{role="worker"} 300',
    ]);
  });
});

describe('event-loop active time', () => {
  /** The counter's value in this process's own registry. */
  async function activeSeconds(registry: Registry): Promise<number> {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === EVENT_LOOP_ACTIVE);
    return Number(metric?.values[0]?.value);
  }

  it('counts at least the time the event loop was kept busy', async () => {
    const registry = createRuntimeRegistry('worker');
    const before = await activeSeconds(registry);
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil) { /* keep the loop busy for 200 ms */ }
    await new Promise((resolve) => setImmediate(resolve)); // let the loop account for that turn
    const after = await activeSeconds(registry);
    expect(after - before).toBeGreaterThanOrEqual(0.2);
  });
});
