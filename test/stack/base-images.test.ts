// The base images scripts/base-images/build.sh rebuilds (no registry is reachable here), compared
// with the facts of their upstream recipes written down once in scripts/base-images/upstream.json:
// the image config (`docker image inspect`), the users, the files and their owners, and the pinned
// binary answering --version inside the image (which also proves the Go binaries static: the
// busybox images have no libc).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../harness/stack';
import { acquireEngine, inspectImage, mustRun, type EngineLease } from '../support/docker';

interface UpstreamFacts {
  source: string;
  config: { User: string; Entrypoint: string[] | null; Cmd: string[] | null; WorkingDir: string; ExposedPorts: string[]; Volumes: string[]; StopSignal?: string };
  env: Record<string, string>;
  users: Record<string, string>;
  files: string[];
  owners: Record<string, string>;
  versionCommand: string[];
  versionOutput: string;
  differences: Record<string, string>;
}

const upstream = (JSON.parse(readFileSync(path.join(ROOT, 'scripts', 'base-images', 'upstream.json'), 'utf8')) as {
  images: Record<string, UpstreamFacts>;
}).images;

const versions: Record<string, string> = Object.fromEntries(
  readFileSync(path.join(ROOT, 'scripts', 'versions.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]),
);

const IMAGES = [
  `node:${versions.NODE_VERSION}-${versions.NODE_DEBIAN_SUITE}-slim`,
  `prom/statsd-exporter:${versions.STATSD_EXPORTER_VERSION}`,
  `prom/prometheus:${versions.PROMETHEUS_VERSION}`,
  `haproxy:${versions.HAPROXY_VERSION}`,
  `prom/alertmanager:${versions.ALERTMANAGER_VERSION}`,
];

let engine: EngineLease;
beforeAll(async () => {
  engine = await acquireEngine();
}, 180_000);
afterAll(async () => {
  await engine?.release();
});

/** Runs `command` in a throwaway container of `image`, bypassing its entrypoint. */
function inImage(image: string, command: string, ...args: string[]): Promise<string> {
  return mustRun('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', '--entrypoint', command, image, ...args]);
}

it('upstream.json has the facts of exactly the pinned versions', () => {
  expect(Object.keys(upstream).sort()).toEqual([...IMAGES].sort());
});

describe.each(IMAGES)('%s', (image) => {
  const facts = upstream[image];

  it('has the image config of the upstream recipe', async () => {
    const { Config } = await inspectImage(image);
    expect({
      User: Config.User,
      Entrypoint: Config.Entrypoint,
      Cmd: Config.Cmd,
      WorkingDir: Config.WorkingDir,
      ExposedPorts: Object.keys(Config.ExposedPorts ?? {}).sort(),
      Volumes: Object.keys(Config.Volumes ?? {}).sort(),
      // Absent unless the recipe sets one (haproxy: SIGUSR1, its graceful stop).
      StopSignal: Config.StopSignal,
    }, facts.source).toEqual(facts.config);
  });

  it("sets the recipe's environment, plus only the documented differences", async () => {
    const env = Object.fromEntries((await inspectImage(image)).Config.Env?.map((entry) => entry.split(/=(.*)/s, 2)) ?? []);
    for (const [name, value] of Object.entries(facts.env)) expect(env[name], name).toBe(value);
    const undocumented = Object.keys(env).filter((name) => !['PATH', ...Object.keys(facts.env), ...Object.keys(facts.differences)].includes(name));
    expect(undocumented).toEqual([]);
  });

  it("has the recipe's users, with their uid and gid", async () => {
    const passwd = await inImage(image, 'cat', '/etc/passwd');
    const users = Object.fromEntries(
      passwd
        .split('\n')
        .map((line) => line.split(':'))
        .filter((fields) => fields.length >= 4)
        .map(([name, , uid, gid]) => [name, `${uid}:${gid}`]),
    );
    for (const [name, ids] of Object.entries(facts.users)) expect(users[name], name).toBe(ids);
  });

  it("has the recipe's files at the upstream paths, owned as upstream owns them", async () => {
    await inImage(image, 'ls', '-d', ...facts.files);
    for (const [file, owner] of Object.entries(facts.owners)) {
      expect((await inImage(image, 'stat', '-c', '%u:%g', file)).trim(), file).toBe(owner);
    }
  });

  it('runs the pinned version through its own entrypoint', async () => {
    const result = await mustRun('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', image, ...facts.versionCommand]);
    expect(result).toContain(facts.versionOutput);
  });
});

it('the node image ships the npm that Node release bundles, and npx', async () => {
  const image = IMAGES[0];
  expect((await mustRun('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', image, 'npm', '--version'])).trim()).toBe(versions.NPM_VERSION);
  expect((await mustRun('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', image, 'npx', '--version'])).trim()).toBe(versions.NPM_VERSION);
});
