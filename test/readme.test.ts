// The README's commands are the ones that work: every npm script and file it names exists, and the
// commands that start something are run here (with --check-config, so they validate and exit).
// The reference pages in docs/ count as the README: their commands are checked alike, every link
// of both reaches a file (and a heading) that exists, the README's layout is the tree, and the
// option table of docs/configuration.md is the app's own.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ENVIRONMENT_HELP } from '../app/src/config/environment';
import { OPTIONS } from '../app/src/config/flags';
import { requireTool, ROOT } from '../harness/stack';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const DOCS = readdirSync(path.join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => path.join('docs', file));
const PAGES: ReadonlyMap<string, string> = new Map([
  ['README.md', README],
  ...DOCS.map((file) => [file, readFileSync(path.join(ROOT, file), 'utf8')] as const),
]);
const SCRIPTS = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Every command line of the ```bash blocks of the README and docs/, split on `&&`. */
const COMMANDS = [...PAGES.values()].flatMap((page) => [...page.matchAll(/```bash\n([\s\S]*?)```/g)])
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

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as '-'. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(page: string): Set<string> {
  const outsideCode = page.replace(/```[\s\S]*?```/g, '');
  return new Set([...outsideCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1])));
}

describe('the links of the README and docs/', () => {
  const links = [...PAGES].flatMap(([file, page]) =>
    [...page.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => ({ file, target: match[1] }))
      .filter(({ target }) => !/^[a-z]+:/.test(target)));

  it('has links to check, to docs/ among them', () => {
    expect(links.filter(({ file, target }) => file === 'README.md' && target.startsWith('docs/')).length).toBeGreaterThan(5);
  });

  it('reach files that exist, and headings that exist in them', () => {
    const broken = links.filter(({ file, target }) => {
      const [relative, anchor] = target.split('#');
      const linked = relative === '' ? file : path.normalize(path.join(path.dirname(file), relative));
      if (!existsSync(path.join(ROOT, linked))) return true;
      if (anchor === undefined) return false;
      const page = PAGES.get(linked);
      return page === undefined || !anchorsOf(page).has(anchor);
    });
    expect(broken).toEqual([]);
  });

  it('include every page of docs/, from the README', () => {
    const fromReadme = links.filter(({ file }) => file === 'README.md').map(({ target }) => target.split('#')[0]);
    expect(DOCS.filter((doc) => !fromReadme.includes(doc))).toEqual([]);
  });
});

/**
 * The README's layout block as paths: each entry is what comes before two spaces on its line
 * (several names may share a line, separated by commas), under the nearest folder entry less
 * indented than itself. A line starting with `#` names a group (the product, the proof, ...).
 */
function layoutPaths(): string[] {
  const block = /^## Layout\n[\s\S]*?```txt\n([\s\S]*?)```/m.exec(README)?.[1];
  if (block === undefined) throw new Error('the README has no ```txt block under "## Layout"');
  const parents: { indent: number; folder: string }[] = [];
  return block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).flatMap((line) => {
    const indent = line.length - line.trimStart().length;
    while (parents.length > 0 && parents[parents.length - 1].indent >= indent) parents.pop();
    const prefix = parents.length > 0 ? parents[parents.length - 1].folder : '';
    const names = line.trim().split(/\s{2,}/)[0].split(/,\s*/);
    const paths = names.map((name) => prefix + name);
    if (names.length === 1 && names[0].endsWith('/')) parents.push({ indent, folder: paths[0] });
    return paths;
  });
}

describe('the README layout', () => {
  const paths = layoutPaths();
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((file) => file !== '');

  it('names only paths that exist (folders as folders)', () => {
    expect(paths.length).toBeGreaterThan(20);
    const wrong = paths.filter((entry) => {
      const file = path.join(ROOT, entry);
      return !existsSync(file) || statSync(file).isDirectory() !== entry.endsWith('/');
    });
    expect(wrong).toEqual([]);
  });

  it('names every top-level folder and file git tracks (dotfiles aside)', () => {
    const topLevel = [...new Set(tracked.map((file) => (file.includes('/') ? `${file.split('/')[0]}/` : file)))]
      .filter((entry) => !/^\.[^/]*$/.test(entry));
    const named = new Set(paths.map((entry) => (entry.includes('/') ? `${entry.split('/')[0]}/` : entry)));
    expect(topLevel.filter((entry) => !named.has(entry))).toEqual([]);
  });

  it('names every module and folder of app/src, harness/, tools/ and scripts/', () => {
    const children = (folder: string) => [...new Set(tracked.filter((file) => file.startsWith(folder))
      .map((file) => file.slice(folder.length)).map((rest) => (rest.includes('/') ? `${rest.split('/')[0]}/` : rest)))]
      .map((child) => folder + child);
    const expected = ['app/src/', 'app/src/config/', 'app/src/statsd/', 'harness/', 'tools/', 'scripts/'].flatMap(children);
    expect(expected.filter((entry) => !paths.includes(entry))).toEqual([]);
  });
});

describe('the tiers of test/README.md', () => {
  const page = readFileSync(path.join(ROOT, 'test', 'README.md'), 'utf8');
  const tiers = [...page.matchAll(/^npx vitest run (.+)$/gm)].map((match) => match[1].split(/\s+/).map((word) => word.replaceAll("'", '')));
  const testFiles = execFileSync('git', ['ls-files', 'test'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((file) => file.endsWith('.test.ts'));

  /** The test files one `npx vitest run` line selects: its paths as prefixes, less its --exclude patterns. */
  function selected(words: readonly string[]): string[] {
    const paths = words.filter((word, i) => !word.startsWith('--') && words[i - 1] !== '--exclude');
    const excludes = words.filter((_, i) => words[i - 1] === '--exclude').map((pattern) => pattern.replace(/\*\*$/, ''));
    return testFiles.filter((file) => paths.some((prefix) => file.startsWith(prefix)) && !excludes.some((prefix) => file.startsWith(prefix)));
  }

  it('has a command for each of the four tiers, each naming only paths that exist', () => {
    expect(tiers).toHaveLength(4);
    const missing = tiers.flat().filter((word) => word.startsWith('test/') && !word.endsWith('**') && !existsSync(path.join(ROOT, word)));
    expect(missing).toEqual([]);
  });

  it('runs every test file in exactly one tier', () => {
    const counts = new Map(testFiles.map((file) => [file, 0]));
    for (const tier of tiers) for (const file of selected(tier)) counts.set(file, (counts.get(file) ?? 0) + 1);
    expect([...counts].filter(([, count]) => count !== 1)).toEqual([]);
  });
});

/** The page on several instances and several hosts, which the README's section links to. */
const SEVERAL = PAGES.get(path.join('docs', 'several-instances.md')) ?? '';
const severalCommands = [...SEVERAL.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((block) => block[1].trim().split('\n'));

describe('docs/several-instances.md', () => {
  it('is linked from the README section on several instances', () => {
    const section = /^### Several instances and several hosts\n([\s\S]*?)^##/m.exec(README)?.[1] ?? '';
    expect(section).toContain('](docs/several-instances.md)');
  });

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

/** The rows of the option table of docs/configuration.md: its option and default columns, as written. */
function optionRows(): { option: string; default: string }[] {
  const page = PAGES.get(path.join('docs', 'configuration.md')) ?? '';
  const section = /^## Options\n([\s\S]*?)^## /m.exec(page)?.[1] ?? '';
  return section.split('\n').filter((line) => line.startsWith('| `-')).map((line) => {
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('`', '').replaceAll('\\|', '|'));
    return { option: cells[1], default: cells[2] };
  });
}

describe('the option table of docs/configuration.md', () => {
  it('names every option of app/src/config/flags.ts, in its order, as --help writes it', () => {
    const written = OPTIONS.map((spec) => `${spec.short ? `${spec.short}, ` : ''}${spec.flag}${spec.metavar ? ` ${spec.metavar}` : ''}`);
    expect(written.length).toBeGreaterThan(10);
    expect(optionRows().map((row) => row.option)).toEqual(written);
  });

  it('gives each option the default --help gives it', () => {
    expect(optionRows().map((row) => row.default)).toEqual(OPTIONS.map((spec) => spec.defaultText));
  });

  it('is followed by every environment variable the app reads', () => {
    const page = PAGES.get(path.join('docs', 'configuration.md')) ?? '';
    const section = /^## Environment\n([\s\S]*?)^## /m.exec(page)?.[1] ?? '';
    for (const [name] of ENVIRONMENT_HELP) expect(section, name).toContain(`\`${name}\``);
  });
});
