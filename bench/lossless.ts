// Nothing lost: a fresh statsd_exporter, the app at saturation with nothing in flight at the end,
// then the exporter's request counter against the responses received, and the drop counters. The
// same run samples each worker's resident memory once a second; one more run with metrics off
// gives the memory baseline to compare with.
import type { StatsdPacking } from '../app/src/config';
import { scrapeValue } from '../harness/prometheus-api';
import { startApp, startStatsdExporter, type App } from '../harness/stack';
import type { BenchOptions } from './args';
import { APP_LABEL, appStatsdArgs, CLEAN_ENV } from './contenders';
import { runLoad } from './load';
import { kernelUdpDrops, vmRssKiB, workerPids } from './proc';
import type { LosslessRecord, MemoryControlRecord, WorkerMemory } from './results';
import type { LoadResult } from './load';

interface ExporterCounters {
  requests: number;
  packets: number;
  lines: number;
  drops: number;
}

async function readCounters(metricsUrl: string): Promise<ExporterCounters> {
  const [requests, packets, lines, drops] = await Promise.all([
    scrapeValue(metricsUrl, 'gunicorn_requests_total', { app: APP_LABEL }),
    scrapeValue(metricsUrl, 'statsd_exporter_udp_packets_total'),
    scrapeValue(metricsUrl, 'statsd_exporter_lines_total'),
    scrapeValue(metricsUrl, 'statsd_exporter_udp_packet_drops_total'),
  ]);
  return { requests, packets, lines, drops };
}

/** Counters once they have stopped moving for a second: the datagrams still in the socket and the
 * exporter's event queue (flushed every 200 ms) have drained. */
export async function settledCounters(metricsUrl: string, quietMs = 1000, timeoutMs = 20_000): Promise<ExporterCounters> {
  const deadline = Date.now() + timeoutMs;
  let last = await readCounters(metricsUrl);
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const current = await readCounters(metricsUrl);
    if (current.requests !== last.requests || current.lines !== last.lines) {
      last = current;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return current;
    }
  }
  return last;
}

function sampleMemory(pids: readonly number[], intervalMs: number): { stop(): WorkerMemory[] } {
  const startedAt = performance.now();
  const memory = pids.map((pid) => ({ pid, samples: [] as { atS: number; rssKiB: number }[] }));
  const sample = () => {
    const atS = Math.round((performance.now() - startedAt) / 100) / 10;
    for (const worker of memory) {
      const rssKiB = vmRssKiB(worker.pid);
      if (rssKiB !== null) worker.samples.push({ atS, rssKiB });
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return memory;
    },
  };
}

/** Warm-up (unmeasured; its rate sizes the first batch), then ~losslessS of saturation with nothing
 * in flight at the end, sampling every worker's memory; `between` runs after the warm-up. */
async function saturate(
  app: App,
  options: BenchOptions,
  between: () => Promise<void> = async () => undefined,
): Promise<{ load: LoadResult; memory: WorkerMemory[] }> {
  const url = `${app.url}/`;
  const warmup = await runLoad(url, { connections: options.connections, durationS: Math.max(1, options.warmupS) });
  await between();
  const sampler = sampleMemory(workerPids(app.process.output()), 1000);
  const load = await runLoad(url, {
    connections: options.connections,
    durationS: options.losslessS,
    exact: true,
    expectedRate: warmup.requestsPerSecond,
  });
  return { load, memory: sampler.stop() };
}

export async function runLossless(
  packing: StatsdPacking,
  workers: number,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<LosslessRecord> {
  const exporter = await startStatsdExporter();
  let app: App | undefined;
  try {
    app = await startApp(appStatsdArgs(exporter.statsdPort, packing), { workers, env: CLEAN_ENV });
    const metricsUrl = `${exporter.url}/metrics`;
    let before: ExporterCounters | undefined;
    const { load, memory } = await saturate(app, options, async () => {
      before = await settledCounters(metricsUrl);
    });
    const after = await settledCounters(metricsUrl);
    const record: LosslessRecord = {
      packing,
      workers,
      load,
      exporterRequests: after.requests - before!.requests,
      exporterUdpDrops: after.drops,
      kernelUdpDrops: kernelUdpDrops(exporter.statsdPort),
      udpPackets: after.packets - before!.packets,
      lines: after.lines - before!.lines,
      memory,
    };
    log(
      `  ${packing.padEnd(8)} workers=${workers} ${load.responses} responses in ${load.durationS.toFixed(1)} s, exporter counted ` +
        `${record.exporterRequests}; drops exporter ${record.exporterUdpDrops} kernel ${record.kernelUdpDrops ?? 'n/a'}`,
    );
    return record;
  } finally {
    await app?.stop();
    await exporter.stop();
  }
}

/** The same saturation with metrics off: what the workers' memory does without any StatsD. */
export async function runMemoryControl(
  workers: number,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<MemoryControlRecord> {
  const app = await startApp([], { workers, env: CLEAN_ENV });
  try {
    const { load, memory } = await saturate(app, options);
    log(`  off      workers=${workers} ${load.responses} responses in ${load.durationS.toFixed(1)} s (memory baseline)`);
    return { packing: 'off', workers, load, memory };
  } finally {
    await app.stop();
  }
}
