// The README's commands are the ones that work: every npm script and file it names exists, and the
// commands that start something are run here (with --check-config, so they validate and exit).
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool, ROOT } from '../harness/stack';

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
