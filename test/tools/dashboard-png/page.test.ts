// What the page refuses to draw rather than draw differently from Grafana: such a panel is drawn
// as a placeholder labelled with the reasons, its queries still run.
import type { Panel } from '@grafana/schema';
import { describe, expect, it } from 'vitest';
import { buildPanelModel, undrawableReasons } from '../../../tools/dashboard-png/page';

const base: Panel = {
  id: 1,
  type: 'timeseries',
  title: 't',
  gridPos: { x: 0, y: 0, w: 12, h: 8 },
  fieldConfig: { defaults: { unit: 's' }, overrides: [] },
};
const withCustom = (custom: Record<string, unknown>): Panel => ({ ...base, fieldConfig: { defaults: { unit: 's', custom }, overrides: [] } });

describe('undrawableReasons', () => {
  it.each([
    ['a plain time series', base, []],
    ['a row', { ...base, type: 'row', fieldConfig: undefined }, []],
    ['a type the page does not draw', { ...base, type: 'heatmap' }, ['panel type "heatmap" is not drawn by the renderer']],
    ['no unit', { ...base, fieldConfig: { defaults: {} } }, ['no unit']],
    ['a unit it cannot format', { ...base, fieldConfig: { defaults: { unit: 'dtdurations' } } }, ['unit "dtdurations" is not one the renderer formats']],
    ['stacking', withCustom({ stacking: { mode: 'normal' } }), ['stacking "normal"']],
    ['bars', withCustom({ drawStyle: 'bars' }), ['draw style "bars"']],
    ['a log scale', withCustom({ scaleDistribution: { type: 'log' } }), ['scale "log"']],
    ['a transformation', { ...base, transformations: [{ id: 'reduce', options: {} }] }, ['transformations']],
    ['a relative time of its own', { ...base, timeFrom: '1h' }, ['a time range of its own (timeFrom, timeShift)']],
    ['a repeated panel', { ...base, repeat: 'instance' }, ['repeated by variable "instance"']],
    ['a range value mapping', { ...base, fieldConfig: { defaults: { unit: 's', mappings: [{ type: 'range', options: { from: 0, to: 1, result: { text: 'low' } } }] } } },
      ['value mapping of type "range"']],
    ['a stat sparkline', { ...base, type: 'stat', options: { graphMode: 'area' } }, ['stat graph mode "area" (sparklines are not drawn)']],
    ['an unknown reducer', { ...base, type: 'stat', options: { reduceOptions: { calcs: ['p95'] } } }, ['reducer "p95"']],
    ['an override it does not apply', { ...base, fieldConfig: { defaults: { unit: 's' }, overrides: [{ matcher: { id: 'byType', options: 'number' }, properties: [{ id: 'unit', value: 'ms' }] }] } },
      ['override matcher "byType"', 'override property "unit"']],
  ])('%s', (_, panel, reasons) => {
    expect(undrawableReasons(panel as Panel)).toEqual(reasons);
  });
});

describe('buildPanelModel', () => {
  const range = { fromMs: 0, toMs: 60_000 };
  const series = [{ refId: 'A', name: 'a', labels: {}, points: [[60_000, 3]] as [number, number][] }];
  const runs = [{ refId: 'A', expr: 'x', kind: 'instant' as const, seriesCount: 1 }];

  it('labels a panel it cannot draw with why, keeping its series for the legend', () => {
    const model = buildPanelModel({ panel: { ...base, type: 'heatmap' }, series, runs }, range);
    expect([model.unsupported, model.series.map((s) => s.name)]).toEqual(['panel type "heatmap" is not drawn by the renderer', ['a']]);
  });

  it('leaves a panel it draws unlabelled, its value reduced', () => {
    const model = buildPanelModel({ panel: { ...base, type: 'stat', options: { reduceOptions: { calcs: ['lastNotNull'] } } }, series, runs }, range);
    expect([model.unsupported, model.series.map((s) => s.value)]).toEqual([undefined, [3]]);
  });
});
