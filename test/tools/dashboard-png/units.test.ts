// Grafana's value formatting for the units the dashboard uses; rows from Grafana's valueFormats.
import { describe, expect, it } from 'vitest';
import { formatValue, toFixed } from '../../../tools/dashboard-png/units';

describe('toFixed (auto decimals: two significant digits, one more above 2.25)', () => {
  it.each([
    [125, undefined, '125'],
    [12.34, undefined, '12.3'],
    [1.5, undefined, '1.50'],
    [0.0123, undefined, '0.0123'],
    [0, undefined, '0'],
    [3, 2, '3.00'],
    [2.499, 1, '2.5'],
  ])('%d with %s decimals → %s', (value, decimals, text) => {
    expect(toFixed(value, decimals)).toBe(text);
  });
});

describe('formatValue', () => {
  it.each([
    ['seconds below one: milliseconds', 0.0123, 's', undefined, '12.3 ms'],
    ['seconds', 4.38, 's', undefined, '4.38 s'],
    ['seconds above a minute, pluralised', 150, 's', undefined, '2.50 mins'],
    ['microseconds', 0.000045, 's', undefined, '45 µs'],
    ['percentunit', 0.0439, 'percentunit', undefined, '4.39%'],
    ['percentunit with decimals', 0.05, 'percentunit', 2, '5.00%'],
    ['bytes, IEC', 123456789, 'bytes', undefined, '118 MiB'],
    ['requests per second', 12.34, 'reqps', undefined, '12.3 reqps'],
    ['requests per second, thousands', 1234, 'reqps', undefined, '1.23K reqps'],
    ['packets per second, SI below one', 0.05, 'pps', undefined, '50 mpps'],
    ['counts per second', 2, 'cps', undefined, '2 cps'],
    ['short, thousands', 3050, 'short', undefined, '3.05 K'],
    ['short, decimals 0', 99.4, 'short', 0, '99'],
    ['none', 2, 'none', 0, '2'],
    ['no value', null, 's', undefined, 'No data'],
  ])('%s', (_, value, unit, decimals, text) => {
    expect(formatValue(value, unit, decimals)).toBe(text);
  });

  it('refuses a unit it does not know rather than format it wrongly', () => {
    expect(() => formatValue(1, 'furlongs')).toThrow(/unknown unit "furlongs"/);
  });
});
