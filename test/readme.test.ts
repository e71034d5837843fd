// The README's commands are the ones that work: every npm script and file it names exists, and the
// commands that start something are run here (with --check-config, so they validate and exit).
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { requireTool, ROOT } from '../scripts/native-stack/stack';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SCRIPTS = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Every command line of the README's ```bash blocks, split on `&&`. */
const COMMANDS = [...README.matchAll(/```bash\n([\s\S]*?)```/g)]
  .flatMap((block) => block[1].split('\n'))
  .map((line) => line.replace(/#.*$/, '').trim())
  .filter((line) => line !== '')
  .flatMap((line) => line.split('&&').map((command) => command.trim()));

function commandStarting(prefix: string): string {
  const command = COMMANDS.find((line) => line.startsWith(prefix));
  if (!command) throw new Error(`the README has no command starting with "${prefix}"`);
  return command;
}

/** The words after `--` of an npm command: the app's flags. */
function flagsOf(command: string): string[] {
  return command.split(' -- ')[1].split(/\s+/);
}

describe('the README', () => {
  it('has commands to check', () => {
    expect(COMMANDS.length).toBeGreaterThan(5);
  });

  it('names only npm scripts that exist', () => {
    const named = COMMANDS.flatMap((command) => {
      const match = /^npm (?:run )?([\w:-]+)/.exec(command);
      return match && !['ci', 'install'].includes(match[1]) ? [match[1]] : [];
    });
    expect(named.length).toBeGreaterThan(0);
    for (const script of named) expect(SCRIPTS, `npm script "${script}"`).toHaveProperty(script);
  });

  it('names only files that exist and are executable', () => {
    const files = COMMANDS.flatMap((command) => {
      const match = /^(?:bash )?(\.\/[\w./-]+|scripts\/[\w./-]+)/.exec(command);
      return match ? [match[1]] : [];
    });
    expect(files).toContain('./request-script.sh');
    for (const file of files) accessSync(path.join(ROOT, file), constants.R_OK | constants.X_OK);
  });

  it('calls the same test command as CI', () => {
    expect(COMMANDS).toContain('npm test');
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });

  it('starts the built app with flags it accepts (npm start)', () => {
    const flags = flagsOf(commandStarting('npm start -- '));
    const result = spawnSync('npm', ['start', '--silent', '--', ...flags, '--check-config'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs the app from source with the same flags (npm run dev, ts-node)', () => {
    const flags = flagsOf(commandStarting('npm start -- '));
    const result = spawnSync('npm', ['run', 'dev', '--silent', '--', ...flags, '--check-config'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("points real Gunicorn at the stack with flags Gunicorn accepts", () => {
    const words = commandStarting('gunicorn ').split(/\s+/).slice(1, -1);
    // Gunicorn validates its options and loads the app, then exits; conformance/flask_app.py stands in for app:app.
    const output = execFileSync(requireTool('GUNICORN_BIN'), [...words, '--check-config', 'conformance.flask_app:app'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(output).toBe('');
  });
});

/** The README's section on several instances, up to the next section. */
const SEVERAL = /^## Several instances and several hosts\n([\s\S]*?)^## /m.exec(README)?.[1] ?? '';
const severalCommands = [...SEVERAL.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((block) => block[1].trim().split('\n'));

describe('the README on several instances and several hosts', () => {
  it('shows the scale command the compose test runs, and the per-instance file, which compose accepts', () => {
    expect(severalCommands).toContain('docker compose up -d --scale app=3');
    // Run for real (with `up --detach --scale app=3`) in test/stack/compose.test.ts, under the engine lock.
    expect(readFileSync(path.join(ROOT, 'test', 'stack', 'compose.test.ts'), 'utf8')).toContain("'--scale', 'app=3'");
    const perInstance = severalCommands.find((command) => command.startsWith('docker compose -f '));
    expect(perInstance).toBe('docker compose -f docker-compose.exporter-per-instance.yaml up -d');
    const result = spawnSync('docker', ['compose', '-f', perInstance!.split(' ')[3], 'config', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("tags a real Gunicorn with --dogstatsd-tags, flags Gunicorn accepts, and so does the app (also through GUNICORN_CMD_ARGS)", () => {
    const command = severalCommands.find((line) => line.startsWith('gunicorn '));
    expect(command).toMatch(/ --dogstatsd-tags instance:\S+ /);
    const words = command!.split(/\s+/).slice(1, -1);
    const gunicorn = execFileSync(requireTool('GUNICORN_BIN'), [...words, '--check-config', 'conformance.flask_app:app'], { cwd: ROOT, encoding: 'utf8' });
    expect(gunicorn).toBe('');
    const entry = path.join(ROOT, 'dist', 'main.js');
    const app = spawnSync(process.execPath, [entry, ...words, '--check-config'], { encoding: 'utf8' });
    expect(app.stderr).toBe('');
    expect(app.status).toBe(0);
    const tags = words.slice(words.indexOf('--dogstatsd-tags'), words.indexOf('--dogstatsd-tags') + 2).join(' ');
    const viaEnv = spawnSync(process.execPath, [entry, '--check-config'], { encoding: 'utf8', env: { ...process.env, GUNICORN_CMD_ARGS: tags } });
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.status).toBe(0);
  });

  it('gives a remote_write snippet that promtool check config accepts added to the committed prometheus.yml', () => {
    const blocks = [...SEVERAL.matchAll(/```yaml\n([\s\S]*?)```/g)].map((block) => block[1]);
    expect(blocks.length).toBe(1);
    const snippet = parse(blocks[0]) as { global: { external_labels: Record<string, string> }; remote_write: unknown[] };
    expect(Object.keys(snippet.global.external_labels).sort()).toEqual(['cluster', 'replica']);
    expect(snippet.remote_write.length).toBe(1);
    const dir = mkdtempSync(path.join(tmpdir(), 'remote-write-'));
    try {
      const etc = path.join(ROOT, 'etc', 'prometheus');
      for (const file of readdirSync(etc)) copyFileSync(path.join(etc, file), path.join(dir, file));
      const committed = parse(readFileSync(path.join(etc, 'prometheus.yml'), 'utf8')) as { global: Record<string, unknown> };
      const combined = { ...committed, global: { ...committed.global, ...snippet.global }, remote_write: snippet.remote_write };
      writeFileSync(path.join(dir, 'prometheus.yml'), stringify(combined));
      const check = spawnSync(requireTool('PROMTOOL_BIN'), ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
