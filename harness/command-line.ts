// How every bench tool reads its command line: node:util's parseArgs over a table of flags, with
// one clear message per bad flag (the flag and the value named; the usage for an unknown flag).
// Lenient parsing (strict: false) and a check of every token, so that the messages are the bench's
// own rather than Node's, and a flag's value may start with '-' (which then fails as a number).
import { parseArgs } from 'node:util';

export class ArgsError extends Error {
  override readonly name = 'ArgsError';
}

/** The flags a tool takes, by name without the dashes. */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;

export interface Flags {
  /** The value of a string flag (the last one given), undefined when absent. */
  string(name: string): string | undefined;
  /** Whether a boolean flag was given. */
  boolean(name: string): boolean;
}

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

/** `raw` as a positive number (an integer if asked), or an ArgsError naming the flag and the value. */
export function positive(flag: string, raw: string | undefined, integer: boolean): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ArgsError(`${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw ?? '')}`);
  }
  return value;
}
