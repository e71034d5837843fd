// The text --help prints: every option of the table with its default, then the environment.
import { ENVIRONMENT_HELP } from './environment';
import { OPTIONS } from './flags';

export function helpText(): string {
  const names = OPTIONS.map((spec) => `${spec.short ? `${spec.short}, ` : '    '}${spec.flag}${spec.metavar ? ` ${spec.metavar}` : ''}`);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = OPTIONS.map((spec, i) => {
    const defaultNote = spec.defaultText ? ` [default: ${spec.defaultText}]` : '';
    return `  ${names[i].padEnd(width)}${spec.help}${defaultNote}`;
  });
  const envWidth = Math.max(...ENVIRONMENT_HELP.map(([name]) => name.length)) + 2;
  return [
    'Usage: node dist/main.js [OPTIONS]',
    '',
    'An Express app run by a Gunicorn-style master that sends Gunicorn\'s StatsD lines.',
    '',
    'Options (Gunicorn\'s names; "--opt VALUE" and "--opt=VALUE" both work; options override the environment):',
    ...lines,
    '',
    'Environment:',
    ...ENVIRONMENT_HELP.map(([name, text]) => `  ${name.padEnd(envWidth)}${text}`),
    '',
  ].join('\n');
}
