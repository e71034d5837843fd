import { startGunicorn } from '../scripts/native-stack/stack';
// eslint-disable-next-line
const autocannon = require('autocannon');
(async () => {
  const g = await startGunicorn(process.argv.slice(2), { workers: 2 });
  for (const c of [1, 2, 8, 50]) {
    const times: number[] = [];
    const inst = autocannon({ url: g.url + '/', connections: c, duration: 3 });
    inst.on('response', (_c: unknown, _s: number, _b: number, t: number) => times.push(t));
    const r = await inst;
    const buckets: Record<string, number> = {};
    for (const t of times) { const k = t < 100 ? '<100ms' : `${Math.floor(t / 500) * 500}ms+`; buckets[k] = (buckets[k] ?? 0) + 1; }
    console.log(c, times.length, r.errors, r.resets, JSON.stringify(buckets));
  }
  await g.stop();
})();
