// The response Gunicorn's util.write_error() sends when it refuses a request before the app sees
// it: a small HTML page naming the reason, the message escaped as Python's html.escape() does.

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

function htmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** The bytes, latin-1 encoded as Gunicorn encodes them. */
export function gunicornErrorResponse(status: number, reason: string, message: string): Buffer {
  const page = `<html>\n  <head>\n    <title>${reason}</title>\n  </head>\n  <body>\n`
    + `    <h1><p>${reason}</p></h1>\n    ${htmlEscape(message)}\n  </body>\n</html>\n`;
  const length = Buffer.byteLength(page, 'latin1');
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${length}\r\n\r\n${page}`,
    'latin1',
  );
}
