// The capture's command line (conformance/capture.ts): which server, which variants, whether to
// write the references; every bad argument refused by name before any server is started. The PROXY
// protocol capture (conformance/proxy-protocol.ts) reads the same flags, less --variant.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ArgsError } from '../../harness/command-line';
import { ROOT } from '../../harness/stack';
import { parseOptions, USAGE, VARIANTS } from '../../conformance/capture';
import { parseOptions as parseProxyOptions, USAGE as PROXY_USAGE } from '../../conformance/proxy-protocol';

describe('capture parseOptions', () => {
  it('defaults: real Gunicorn, every variant, printed', () => {
    expect(parseOptions([])).toEqual({ kind: 'gunicorn', variants: VARIANTS, write: false });
  });

  it.each([
    ['--server node', ['--server', 'node'], { kind: 'node' }],
    ['--variant, one of them', ['--variant', 'empty-prefix'], { variants: VARIANTS.filter((variant) => variant.name === 'empty-prefix') }],
    ['--write (Gunicorn by default)', ['--write'], { kind: 'gunicorn', write: true }],
    ['--server=gunicorn --write (inline value)', ['--server=gunicorn', '--write'], { kind: 'gunicorn', write: true }],
  ])('%s', (_, argv, expected) => {
    expect(parseOptions(argv)).toMatchObject(expected);
  });

  it.each([
    ['an unknown server', ['--server', 'uwsgi'], '--server: expected gunicorn or node, got "uwsgi"'],
    ['--server without its value (once read as Gunicorn)', ['--server'], '--server: missing value'],
    ['an unknown variant', ['--variant', 'tagged2'], '--variant: no variant named "tagged2"'],
    ['a reference from the Node app', ['--server', 'node', '--write'], '--write: only real Gunicorn makes a reference'],
    ['a misspelt flag (once ignored), with the usage', ['--wirte'], `unknown option "--wirte"\n${USAGE}`],
    ['a bare argument, with the usage', ['node'], `unexpected argument "node"\n${USAGE}`],
  ])('refuses %s, naming it', (_, argv, message) => {
    expect(() => parseOptions(argv)).toThrow(new ArgsError(message));
  });

  it('the script itself refuses a bad --server: the message alone, exit status 2', () => {
    const result = spawnSync(process.execPath, ['--require', 'ts-node/register', 'conformance/capture.ts', '--server', 'uwsgi'], { cwd: ROOT, encoding: 'utf8' });
    expect([result.status, result.stdout, result.stderr]).toEqual([2, '', '--server: expected gunicorn or node, got "uwsgi"\n']);
  });
});

describe('the PROXY protocol capture, same flags', () => {
  it('defaults to real Gunicorn, printed; --server node and --write read as in the capture', () => {
    expect(parseProxyOptions([])).toEqual({ kind: 'gunicorn', write: false });
    expect(parseProxyOptions(['--server', 'node'])).toEqual({ kind: 'node', write: false });
    expect(parseProxyOptions(['--write'])).toEqual({ kind: 'gunicorn', write: true });
  });

  it.each([
    ['an unknown server (once run as it was given)', ['--server', 'uwsgi'], '--server: expected gunicorn or node, got "uwsgi"'],
    ['a misspelt flag (once ignored), with the usage', ['--wirte'], `unknown option "--wirte"\n${PROXY_USAGE}`],
    ['--variant, which it does not take', ['--variant', 'v2'], `unknown option "--variant"\n${PROXY_USAGE}`],
  ])('refuses %s, naming it', (_, argv, message) => {
    expect(() => parseProxyOptions(argv)).toThrow(new ArgsError(message));
  });

  it('the script itself refuses a misspelt flag: exit status 2, nothing started', () => {
    const result = spawnSync(process.execPath, ['--require', 'ts-node/register', 'conformance/proxy-protocol.ts', '--wirte'], { cwd: ROOT, encoding: 'utf8' });
    expect([result.status, result.stdout, result.stderr]).toEqual([2, '', `unknown option "--wirte"\n${PROXY_USAGE}\n`]);
  });
});
