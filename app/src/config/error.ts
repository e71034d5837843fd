// The one error a bad option or environment value raises, and how its value is shown.

/** A bad option or environment value; `message` is one line naming the option and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** JSON quoting keeps a message on one line whatever the value holds ("\n" is shown escaped). */
export function quote(value: string): string {
  return JSON.stringify(value);
}
