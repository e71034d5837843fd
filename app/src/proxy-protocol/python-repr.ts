// Python's repr() of a str, as Gunicorn's messages print the text a client sent ('…' or "…").
// The bytes arrive decoded as latin-1 (Gunicorn's bytes_to_str), so only U+0000–U+00FF occur.

/** Characters Python's str.isprintable() refuses in the latin-1 range: controls, NBSP, soft hyphen. */
function isPrintable(code: number): boolean {
  if (code < 0x20 || (code >= 0x7f && code <= 0xa0)) return false;
  return code !== 0xad;
}

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

export function pythonRepr(text: string): string {
  // Python quotes with ' unless the text holds a ' and no ".
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (NAMED[char] !== undefined) body += NAMED[char];
    else if (char === quote) body += `\\${quote}`;
    else if (!isPrintable(code)) body += `\\x${code.toString(16).padStart(2, '0')}`;
    else body += char;
  }
  return `${quote}${body}${quote}`;
}
