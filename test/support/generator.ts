// The rule and dashboard generators run as `npm run` runs them, and the bad command lines both must
// refuse the same way: one line naming the argument, exit status 2, nothing written.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { expect } from 'vitest';
import { ROOT } from '../../harness/stack';

/** Runs a script of the repository under ts-node, from the repository's root. */
export function runGenerator(script: string, args: readonly string[]) {
  return spawnSync(process.execPath, ['--require', 'ts-node/register', script, ...args], { cwd: ROOT, encoding: 'utf8' });
}

/** Bad command lines of a generator whose one flag is --check, each with the message it must print. */
export function badCheckFlags(usage: string): [name: string, args: string[], message: string][] {
  return [
    ['a misspelt flag, with the usage', ['--chek'], `unknown option "--chek"\n${usage}`],
    ['a value given to --check', ['--check=yes'], '--check: takes no value, got "yes"'],
    ['a bare argument, with the usage', ['check'], `unexpected argument "check"\n${usage}`],
  ];
}

/** Runs the generator with bad args: the message after its name, exit status 2, nothing printed, `output` untouched. */
export function expectRefused(script: string, args: readonly string[], message: string, output: string): void {
  const before = statSync(output).mtimeMs;
  const result = runGenerator(script, args);
  expect(result.stderr).toBe(`${script}: ${message}\n`);
  expect([result.status, result.stdout, statSync(output).mtimeMs]).toEqual([2, '', before]);
}
