// Python's repr() of a str, as Gunicorn's messages print the text a client sent ('…' or "…").
// The bytes arrive decoded as latin-1 (Gunicorn's bytes_to_str), so only U+0000–U+00FF occur.
// One regular-expression pass: a client controls the text, and a line may be a megabyte long.

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\', "'": "\\'" };

// What Python's str.isprintable() refuses in the latin-1 range (controls, NBSP, soft hyphen), the
// backslash, and the quote when it is the one around the text.
const TO_ESCAPE_IN_SINGLE_QUOTES = /[\x00-\x1f\x7f-\xa0\xad\\']/g;
const TO_ESCAPE_IN_DOUBLE_QUOTES = /[\x00-\x1f\x7f-\xa0\xad\\]/g;

function escape(char: string): string {
  return NAMED[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

export function pythonRepr(text: string): string {
  // Python quotes with ' unless the text holds a ' and no ".
  if (text.includes("'") && !text.includes('"')) return `"${text.replace(TO_ESCAPE_IN_DOUBLE_QUOTES, escape)}"`;
  return `'${text.replace(TO_ESCAPE_IN_SINGLE_QUOTES, escape)}'`;
}
