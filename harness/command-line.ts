// How every script and tool reads its command line: node:util's parseArgs over a table of flags,
// with one clear message per bad flag (the flag and the value named; the usage for an unknown flag).
// Lenient parsing (strict: false) and a check of every token, so that the messages are the
// project's own rather than Node's, and a flag's value may start with '-' (which then fails as a number).
import { parseArgs } from 'node:util';

export class ArgsError extends Error {
  override readonly name = 'ArgsError';
}

/** The flags a script takes, by name without the dashes; `short` is a one-letter alias (`-h`). */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

export interface Flags {
  /** The value of a string flag (the last one given), undefined when absent. */
  string(name: string): string | undefined;
  /** Whether a boolean flag was given. */
  boolean(name: string): boolean;
}

/** The flags in argv (without node and the script), or an ArgsError naming the first bad one. */
export function readFlags(argv: readonly string[], spec: FlagSpec, usage: string): Flags {
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options: spec, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const flag = Object.hasOwn(spec, token.name) ? spec[token.name] : undefined;
    if (flag === undefined) throw new ArgsError(`unknown option ${JSON.stringify(token.rawName)}\n${usage}`);
    if (flag.type === 'string' && token.value === undefined) throw new ArgsError(`${token.rawName}: missing value`);
    if (flag.type === 'boolean' && token.value !== undefined) throw new ArgsError(`${token.rawName}: takes no value, got ${JSON.stringify(token.value)}`);
  }
  if (positionals.length > 0) throw new ArgsError(`unexpected argument ${JSON.stringify(positionals[0])}\n${usage}`);
  return {
    string: (name) => (typeof values[name] === 'string' ? values[name] : undefined),
    boolean: (name) => values[name] === true,
  };
}

/** readFlags for a script's own command line: a bad one is its message on stderr, after the
 * script's name, and exit status 2, before the script does anything. */
export function readFlagsOrExit(script: string, argv: readonly string[], spec: FlagSpec, usage: string): Flags {
  try {
    return readFlags(argv, spec, usage);
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    process.stderr.write(`${script}: ${error.message}\n`);
    process.exit(2);
  }
}

/** `raw` as a positive number (an integer if asked), or an ArgsError naming the flag and the value. */
export function positive(flag: string, raw: string | undefined, integer: boolean): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ArgsError(`${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw ?? '')}`);
  }
  return value;
}

/** `raw` if it is one of `choices` (the first when absent), or an ArgsError naming the flag, the value and the choices. */
export function oneOf<Choice extends string>(flag: string, raw: string | undefined, choices: readonly [Choice, ...Choice[]]): Choice {
  if (raw === undefined) return choices[0];
  const choice = choices.find((candidate) => candidate === raw);
  if (choice === undefined) throw new ArgsError(`${flag}: expected ${choices.join(' or ')}, got ${JSON.stringify(raw)}`);
  return choice;
}
