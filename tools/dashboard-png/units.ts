// Grafana's value formatting for the units the renderer knows (packages/grafana-data
// valueFormats: toFixed, scaledUnits, simpleCountUnit, decimalSIPrefix, binarySIPrefix,
// toSeconds, toPercentUnit). Pure and self-contained (no imports): page.ts transpiles this file
// into the page, so the browser formats axes and values with the same code the tests check.

export interface FormattedValue {
  text: string;
  suffix: string;
}

type Formatter = (value: number, decimals?: number) => FormattedValue;

/** Grafana's getDecimalsForValue: two significant digits, one more for 2.25 < norm < 10. */
function decimalsFor(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return 0;
  const abs = Math.abs(value);
  let dec = -Math.floor(Math.log(abs) / Math.LN10) + 1;
  const magn = Math.pow(10, -dec);
  if (abs / magn > 2.25) dec += 1;
  if (value % 1 === 0) dec = 0;
  return Math.max(0, dec);
}

export function toFixed(value: number, decimals?: number): string {
  if (!Number.isFinite(value)) return String(value);
  const dec = decimals ?? decimalsFor(value);
  if (value === 0) return value.toFixed(dec);
  const factor = dec ? Math.pow(10, Math.max(0, dec)) : 1;
  const text = String(Math.round(value * factor) / factor);
  if (text.includes('e')) return text;
  // Padded to the decimals, as Grafana does ("0.50", "2.0").
  const [, fraction = ''] = text.split('.');
  const missing = dec - fraction.length;
  if (missing <= 0) return text;
  return (fraction ? text : `${text}.`) + '0'.repeat(missing);
}

function scaled(factor: number, suffixes: readonly string[], offset = 0): Formatter {
  return (value, decimals) => {
    if (!Number.isFinite(value)) return { text: String(value), suffix: '' };
    const index = value === 0 ? 0 : Math.floor(Math.log(Math.abs(value)) / Math.log(factor));
    const clamped = Math.min(Math.max(index, -offset), suffixes.length - offset - 1);
    return { text: toFixed(value / Math.pow(factor, clamped), decimals), suffix: suffixes[clamped + offset] };
  };
}

function countUnit(symbol: string): Formatter {
  const scaler = scaled(1000, ['', 'K', 'M', 'B', 'T']);
  return (value, decimals) => {
    const result = scaler(value, decimals);
    return { text: result.text, suffix: `${result.suffix} ${symbol}` };
  };
}

function decimalSI(unit: string): Formatter {
  const prefixes = ['f', 'p', 'n', 'µ', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
  return scaled(1000, prefixes.map((prefix) => ` ${prefix}${unit}`), 5);
}

function binarySI(unit: string): Formatter {
  const prefixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];
  return scaled(1024, prefixes.map((prefix) => ` ${prefix}${unit}`));
}

function seconds(value: number, decimals?: number): FormattedValue {
  const abs = Math.abs(value);
  if (value === 0) return { text: '0', suffix: ' s' };
  if (abs < 0.000001) return { text: toFixed(value * 1e9, decimals), suffix: ' ns' };
  if (abs < 0.001) return { text: toFixed(value * 1e6, decimals), suffix: ' µs' };
  if (abs < 1) return { text: toFixed(value * 1e3, decimals), suffix: ' ms' };
  if (abs < 60) return { text: toFixed(value, decimals), suffix: ' s' };
  // toFixedScaled pluralises these when the scaled value is above one.
  const plural = (scaledValue: number, unit: string) => ({
    text: toFixed(scaledValue, decimals),
    suffix: Math.abs(scaledValue) > 1 ? `${unit}s` : unit,
  });
  if (abs < 3600) return plural(value / 60, ' min');
  if (abs < 86400) return plural(value / 3600, ' hour');
  return plural(value / 86400, ' day');
}

const FORMATTERS: Readonly<Record<string, Formatter>> = {
  none: (value, decimals) => ({ text: toFixed(value, decimals), suffix: '' }),
  short: scaled(1000, ['', ' K', ' Mil', ' Bil', ' Tri', ' Quadr', ' Quint', ' Sext', ' Sept']),
  percentunit: (value, decimals) => ({ text: toFixed(100 * value, decimals), suffix: '%' }),
  percent: (value, decimals) => ({ text: toFixed(value, decimals), suffix: '%' }),
  s: seconds,
  ms: (value, decimals) => seconds(value / 1000, decimals),
  bytes: binarySI('B'),
  decbytes: decimalSI('B'),
  pps: decimalSI('pps'),
  cps: countUnit('cps'),
  ops: countUnit('ops'),
  reqps: countUnit('reqps'),
};

/** The units this file formats; a panel with any other unit is reported, not drawn wrongly. */
export const KNOWN_UNITS: readonly string[] = Object.keys(FORMATTERS);

export function formatValue(value: number | null, unit: string, decimals?: number): string {
  if (value === null || Number.isNaN(value)) return 'No data';
  const formatter = FORMATTERS[unit];
  if (!formatter) throw new Error(`unknown unit "${unit}"`);
  const { text, suffix } = formatter(value, decimals);
  return `${text}${suffix}`;
}
