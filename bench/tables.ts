// Every section of the report as one table (title, headers, rows of text, notes), built once from the
// summary and then printed as text or as Markdown (render.ts). Numbers are formatted here.
import type { OverheadRow, Summary } from './summary';
import type { KillRecord, RawResults } from './results';
import { TARGETS } from './targets';

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(3)}×` : 'n/a');
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const µs = (value: number) => fixed(value, 1);
const mib = (kib: number) => (kib / 1024).toFixed(1);
const signedMib = (kib: number) => `${kib >= 0 ? '+' : '-'}${mib(Math.abs(kib))}`;
const yesNo = (value: boolean) => (value ? 'yes' : 'NO');

function overheadTable(summary: Summary, raw: RawResults): Table {
  const row = (server: string, withTargets: boolean) => (overhead: OverheadRow) => [
    server,
    String(overhead.workers),
    int(overhead.on.requestsPerSecond),
    int(overhead.off.requestsPerSecond),
    times(overhead.ratio.throughput),
    withTargets ? yesNo(overhead.throughputTargetMet) : '',
    ms(overhead.on.latencyP99Ms),
    ms(overhead.off.latencyP99Ms),
    times(overhead.ratio.p99),
    withTargets ? yesNo(overhead.p99TargetMet) : '',
  ];
  return {
    title: `Overhead: metrics on (--statsd-packing ${raw.defaultPacking}, the default) vs off, GET /`,
    headers: ['server', 'workers', 'on req/s', 'off req/s', 'ratio', `≥ ${TARGETS.throughputRatioAtLeast}`, 'on p99 ms', 'off p99 ms', 'p99 ratio', `≤ ${TARGETS.p99RatioAtMost}`],
    rows: [
      ...summary.overhead.map(row('this app → statsd_exporter', true)),
      ...summary.appOwnCost.map(row('this app → discarding socket', true)),
      ...summary.gunicornOverhead.map(row('Gunicorn + Flask → statsd_exporter', false)),
    ],
    notes: [
      `Ratios: median over the rounds (${raw.options.pairs}) of the on/off ratio within each round; req/s and ms: medians.`,
      '→ statsd_exporter: the real exporter, on the same cores, so its CPU for parsing the lines is part of the cost.',
      '→ discarding socket: the same lines into a UDP socket nobody reads: the app\'s own cost alone.',
      'The targets are this app\'s; Gunicorn\'s own StatsD cost (same exporter) is shown for comparison.',
    ],
  };
}

function cpuTable(summary: Summary, raw: RawResults): Table {
  const withSpread = (ratio: number, spread: number) =>
    Number.isFinite(ratio) ? `${times(ratio)}${Number.isFinite(spread) ? ` ±${spread.toFixed(3)}` : ''}` : '';
  return {
    title: 'CPU time per request (utime + stime from /proc), metrics on vs off in the same rounds',
    headers: ['workers', 'contender', 'server µs', 'exporter µs', 'datagrams/request', 'vs', 'server ratio', `≤ ${TARGETS.cpuRatioAtMost}`, 'with exporter ratio'],
    rows: summary.cpu.map((row) => [
      String(row.workers),
      row.label + (row.isTarget ? ' → statsd_exporter' : ''),
      µs(row.serverMicroseconds),
      Number.isNaN(row.exporterMicroseconds) ? '' : µs(row.exporterMicroseconds),
      Number.isNaN(row.datagramsPerRequest) ? '' : row.datagramsPerRequest.toFixed(3),
      row.baseline === '' ? '' : (raw.contenders.find((contender) => contender.id === row.baseline)?.label ?? row.baseline),
      withSpread(row.ratio, row.ratioSpread),
      row.isTarget ? yesNo(row.targetMet) : '',
      withSpread(row.ratioWithExporter, row.ratioWithExporterSpread),
    ]),
    notes: [
      'server µs: CPU time of the contender\'s processes (master and workers) over a measured run, divided by its',
      `responses, median over the rounds (${raw.options.pairs}); exporter µs: the statsd_exporter it sends to, likewise.`,
      'datagrams/request: what the contender sent per response, as the exporter (udp_packets_total) or the discarding',
      'socket (its kernel drops) counted them; a worker with idle time between turns sends more, shorter ones.',
      'Ratios: median of the per-round ratios to the contender named under "vs" (± half their range); "with exporter"',
      'adds the exporter\'s CPU to the contender\'s. Resolution: 10 ms of CPU per reading (USER_HZ), well under 1% of a run.',
      'CPU time counts only what these processes ran, so it holds on a shared machine where throughput does not.',
    ],
  };
}

function slicesTable(summary: Summary, raw: RawResults): Table {
  const quartiles = (row: { lowerQuartile: number; upperQuartile: number }) =>
    `${fixed(row.lowerQuartile, 3)}–${fixed(row.upperQuartile, 3)}`;
  return {
    title: 'The target figure in alternating slices: CPU time per request, metrics on (default packing → statsd_exporter) vs off',
    headers: [
      'workers', 'quads', 'off µs', 'on µs', 'on/off', 'quartiles', `≤ ${TARGETS.cpuRatioAtMost}`,
      'control off′/off', 'control quartiles',
    ],
    rows: summary.slices.map((row) => [
      String(row.workers),
      String(row.quads),
      µs(row.offMicroseconds),
      µs(row.onMicroseconds),
      times(row.ratio),
      quartiles(row),
      yesNo(row.targetMet),
      times(row.control.ratio),
      quartiles(row.control),
    ]),
    notes: [
      `Each quad loads metrics off, on, on, off for ${raw.options.sliceS} s each, back to back, with both apps already warm;`,
      'its ratio is (on₁ + on₂) / (off₁ + off₂) of the slices\' CPU time per request (utime + stime of master and workers).',
      'on/off: the median over the quads; quartiles: the middle half of them. Slices seconds apart and mirrored in',
      'order see the same moment of a shared machine, which the rounds above, a minute long, do not.',
      'control: as many quads again, right after these, in which a second metrics-off app, started with the same flags,',
      'takes the place of metrics on. Nothing differs between the two, so its spread is this machine\'s floor: an on/off',
      'figure within the control\'s quartiles of 1 is not told apart from no cost at all.',
    ],
  };
}

function packingTable(summary: Summary): Table {
  return {
    title: 'Packing: each --statsd-packing vs metrics off (same rounds)',
    headers: ['workers', 'packing', 'req/s', '× off', 'p50 ms', 'p99 ms', 'p99 × off', 'datagrams/request'],
    rows: summary.packing.map((row) => [
      String(row.workers),
      row.packing + (row.isDefault ? ' (default)' : ''),
      int(row.stats.requestsPerSecond),
      times(row.ratioToOff.throughput),
      ms(row.stats.latencyP50Ms),
      ms(row.stats.latencyP99Ms),
      times(row.ratioToOff.p99),
      Number.isNaN(row.datagramsPerRequest) ? 'n/a' : row.datagramsPerRequest.toFixed(3),
    ]),
    notes: [
      'datagrams/request: the increase of statsd_exporter_udp_packets_total over each measured run / its responses, median over the rounds.',
      'Noise: ' +
        summary.noise
          .map((row) => `${row.workers} worker(s): per-round ratios ±${fixed(row.ratioSpreadPoints, 1)} points, metrics-off req/s ±${fixed(row.offSpreadPercent, 1)}%`)
          .join('; ') +
        ' between rounds.',
    ],
  };
}

function peersTable(summary: Summary, raw: RawResults): Table {
  return {
    title: `Peers: ratio to this app with metrics on (${raw.defaultPacking})`,
    headers: ['workers', 'contender', 'req/s', '× app', 'p50 ms', 'p99 ms', 'p99 × app', 'errors'],
    rows: summary.peers.map((row) => [
      String(row.workers),
      row.label,
      int(row.stats.requestsPerSecond),
      times(row.ratioToApp.throughput),
      ms(row.stats.latencyP50Ms),
      ms(row.stats.latencyP99Ms),
      times(row.ratioToApp.p99),
      int(row.stats.errors + row.stats.non2xx),
    ]),
    notes: [
      'Gunicorn runs --worker-class gthread --threads 1: keep-alive like the others, one request at a time per worker.',
      '(Its default sync worker closes every connection, which autocannon cannot time correctly.)',
    ],
  };
}

/** The saturation row with kills: every answered request counted, and the difference per kill. */
function killRow(kills: KillRecord): string[] {
  const answered = kills.rounds.reduce((sum, round) => sum + round.answered, 0);
  const counted = kills.rounds.reduce((sum, round) => sum + round.counted, 0);
  const seconds = kills.rounds.reduce((sum, round) => sum + round.durationS, 0);
  const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
  const perKill = kills.rounds.map((round) => signed(round.counted - round.answered)).join(', ');
  return [
    `${kills.packing}, ${kills.rounds.length} kill${kills.rounds.length === 1 ? '' : 's'}`,
    String(kills.workers),
    seconds.toFixed(1),
    int(seconds > 0 ? answered / seconds : 0),
    String(answered),
    String(counted),
    `${signed(counted - answered)} (${perKill})`,
    '',
    '',
    '',
    yesNo(kills.rounds.every((round) => round.counted >= round.answered)),
  ];
}

function losslessTable(summary: Summary, raw: RawResults): Table {
  const kills = raw.kills;
  return {
    title: `Nothing lost: saturation for ~${raw.options.losslessS} s into a fresh statsd_exporter`,
    headers: ['packing', 'workers', 'seconds', 'req/s', 'responses', 'exporter count', 'difference', 'exporter drops', 'kernel drops', 'datagrams/request', 'nothing lost'],
    rows: summary.lossless.map((row) => [
      row.packing,
      String(row.workers),
      row.durationS.toFixed(1),
      int(row.requestsPerSecond),
      String(row.responses),
      String(row.exporterRequests),
      String(row.difference),
      String(row.exporterUdpDrops),
      row.kernelUdpDrops === null ? 'n/a' : String(row.kernelUdpDrops),
      row.datagramsPerRequest.toFixed(2),
      yesNo(row.nothingLost),
    ]).concat([killRow(kills)]),
    notes: [
      'exporter count: increase of gunicorn_requests_total over the run; responses: what autocannon received',
      '(sent in batches of a fixed number, each waiting for all its responses: none is in flight at the end).',
      'exporter drops: statsd_exporter_udp_packet_drops_total; kernel drops: the drops column of /proc/net/udp',
      "for the exporter's socket (receive buffer full). Both over the fresh exporter's whole life.",
      ...(kills
        ? [
          `With kills: ${kills.rounds.length} rounds of ${kills.requests} requests on ${kills.connections} connections into another fresh exporter,`,
          `a worker SIGKILLed ${kills.killAfterMs} ms into each; the difference per kill in brackets. Nothing lost: no kill left`,
          'an answered request uncounted (a kill may count a few responses its client never got: the killed worker\'s).',
        ]
        : []),
    ],
  };
}

function memoryTable(summary: Summary, raw: RawResults): Table {
  return {
    title: `Memory: VmRSS of each app worker under saturation (${raw.options.losslessS} s runs above, and one with metrics off)`,
    headers: ['metrics', 'worker pid', 'mid at s', 'mid MiB', 'end at s', 'end MiB', 'delta MiB', 'max MiB'],
    rows: summary.memory.map((row) => [
      row.packing,
      String(row.pid),
      row.midAtS.toFixed(0),
      mib(row.midKiB),
      row.endAtS.toFixed(0),
      mib(row.endKiB),
      signedMib(row.deltaKiB),
      mib(row.maxKiB),
    ]),
    notes: [
      'mid: the sample nearest half-time; end: when the last response arrived; sampled every second (all in the JSON).',
      'V8 grows its heap in steps of several MiB and keeps it: a step is not a leak, steady growth every second would be.',
    ],
  };
}

export function tables(raw: RawResults, summary: Summary): Table[] {
  return [
    overheadTable(summary, raw),
    cpuTable(summary, raw),
    slicesTable(summary, raw),
    packingTable(summary),
    losslessTable(summary, raw),
    peersTable(summary, raw),
    memoryTable(summary, raw),
  ];
}

export function headerLines(raw: RawResults): string[] {
  const m = raw.machine;
  const o = raw.options;
  const tools = Object.entries(raw.tools).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    `Date: ${m.date}${o.quick ? '  (--quick: smoke run, numbers meaningless)' : ''}`,
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryMiB} MiB, ${m.os}, Node ${m.nodeVersion}`,
    `Busy: load average ${m.loadAverageStart.join(' ')} at start (CPU ${m.idlePercentStart ?? 'n/a'}% idle just before), ` +
      `${raw.loadAverageEnd.join(' ')} at end; ${Math.round(raw.elapsedS)} s in all` +
      (raw.cpu
        ? `; CPU over the run: ${raw.cpu.busyPercent}% busy, ${raw.cpu.benchPercent}% the bench and its processes, ` +
          `${raw.cpu.othersPercent}% other processes`
        : ''),
    `Tools: ${tools}`,
    `Load: GET / on loopback, keep-alive, ${o.connections} connections, no pipelining, autocannon in the orchestrating ` +
      `process (it shares the cores with the server); each run ${o.durationS} s after ${o.warmupS} s of unmeasured ` +
      `warm-up; rounds: ${o.pairs}, contender order reversed every other round`,
  ];
}

