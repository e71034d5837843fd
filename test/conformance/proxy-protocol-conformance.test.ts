// The PROXY protocol against the real thing: real Gunicorn 27.0.1 and the Node app get the same
// flags (--proxy-protocol in its modes, --proxy-allow-from) and the same bytes on raw connections
// (valid v1 lines and v2 headers, garbage ones, truncated ones, overlong v1 lines, v2 LOCAL and
// UNSPEC, one from a peer not allowed, one of the version the mode does not read, one without the
// flag), and must answer, log and count the same: refusals byte for byte, the access log's client
// address, the warning or error line, the StatsD lines. Gunicorn's transcripts are committed as
// conformance/reference/proxy-<variant>.txt; re-capturing proves they are real and current.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_APP_ENTRY } from '../../conformance/capture';
import { captureProxy, PROXY_VARIANTS, readProxyReference } from '../../conformance/proxy-protocol';
import { requireTool } from '../../harness/stack';

const TIMEOUT_MS = 120_000;

describe.each(PROXY_VARIANTS)('PROXY protocol conformance, $name: $flags', (variant) => {
  it('real Gunicorn still answers, logs and counts exactly as the committed transcript', { timeout: TIMEOUT_MS }, async () => {
    requireTool('GUNICORN_BIN');
    expect(await captureProxy('gunicorn', variant)).toBe(readProxyReference(variant));
  });

  it('the Node app answers, logs and counts as real Gunicorn', { timeout: TIMEOUT_MS }, async () => {
    if (!existsSync(NODE_APP_ENTRY)) throw new Error(`${NODE_APP_ENTRY} is missing: run \`npm run build\` first`);
    expect(await captureProxy('node', variant)).toBe(readProxyReference(variant));
  });
});
