import { contenders } from './contenders';
import { runRounds } from './rounds';
import { parseArgs } from './args';
import { startStatsdExporter } from '../scripts/native-stack/stack';
import { stopAll } from '../scripts/native-stack/processes';
(async () => {
  const exporter = await startStatsdExporter();
  try {
    const opts = parseArgs(['--quick', '--workers', '2', '--duration', '4', '--connections', '50'], '/tmp/x');
    const cs = contenders(exporter.statsdPort).filter((c) => ['gunicorn-off'].includes(c.id));
    const runs = await runRounds(opts, cs, console.log);
    console.log(runs.length);
  } finally { await exporter.stop(); await stopAll(); }
})();
