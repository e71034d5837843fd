// scripts/docker-engine/engine.sh when it cannot do its job: the messages a developer sees instead
// of a hanging or skipped compose test. Runs against an empty tools folder of its own, so the
// project's real daemon is never touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../harness/stack';
import { runCommand } from '../support/docker';

const ENGINE = path.join(ROOT, 'scripts', 'docker-engine', 'engine.sh');
const tools = mkdtempSync(path.join(tmpdir(), 'engine-tools-'));
afterAll(() => rmSync(tools, { recursive: true, force: true }));

/** engine.sh with its own tools folder and the given PATH. */
function engine(args: string[], PATH = process.env.PATH ?? '') {
  const env: NodeJS.ProcessEnv = { ...process.env, GUNICORN_STACK_TOOLS: tools, PATH };
  delete env.DOCKER_HOST;
  return runCommand('bash', [ENGINE, ...args], { env, timeoutMs: 30_000 });
}

describe('scripts/docker-engine/engine.sh', () => {
  it('says dockerd is missing and how to install it, and exits 1', async () => {
    // /usr/bin and /bin have bash and coreutils but neither dockerd (/usr/sbin) nor the docker CLI.
    const result = await engine(['start'], '/usr/bin:/bin');
    expect(result.stderr).toContain('docker-engine: dockerd is not installed (apt-get install docker.io; scripts/install-tools.sh does it)');
    expect(result.code).toBe(1);
  });

  it.each([
    [['acquire'], "acquire needs an ID of the form PID or PID-name (got '')"],
    [['release', 'tests'], "release needs an ID of the form PID or PID-name (got 'tests')"],
    [['restart'], "usage: engine.sh start|stop|acquire ID|release ID (got 'restart')"],
  ])('rejects %j naming the value', async (args, message) => {
    const result = await engine(args);
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(1);
  });

  it('stop without a daemon of its own does nothing and succeeds', async () => {
    const result = await engine(['stop']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
