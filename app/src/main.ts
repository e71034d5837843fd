// Entry point: parse the command line once, then run as the master or, in a forked process, as a worker.
import cluster from 'node:cluster';
import { ConfigError, helpText, isHelpRequested, parseConfig, type Config } from './config';

function configOrExit(argv: readonly string[]): Config {
  try {
    return parseConfig(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One line naming the option and the value; nothing has started.
    process.stderr.write(`Error: ${error.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (isHelpRequested(argv)) {
    process.stdout.write(helpText());
    return;
  }
  const config = configOrExit(argv);
  if (config.checkConfig) return;
  // Loaded on demand: the master never loads Express, nor a worker the arbiter.
  if (cluster.isPrimary) {
    const { runMaster } = await import('./arbiter/master');
    await runMaster(config);
  } else {
    const { runWorker } = await import('./arbiter/worker');
    runWorker(config);
  }
}

void main();
