// Reading the dashboard through @grafana/schema's types: rows flattened in grid order, the
// Prometheus targets checked as they are read, both shapes of a variable's query.
import type { Panel, RowPanel, VariableModel } from '@grafana/schema';
import { describe, expect, it } from 'vitest';
import { flattenPanels, loadDashboard, prometheusTargets, variableQuery } from '../../../harness/grafana-queries/dashboard';

const panel = (id: number, type: string, targets?: Panel['targets']): Panel => ({ id, type, title: `p${id}`, targets });
const row = (id: number, panels: Panel[]): RowPanel => ({ id, type: 'row', title: `r${id}`, collapsed: panels.length > 0, panels });

describe('flattenPanels', () => {
  it('puts the panels of a collapsed row after it', () => {
    expect(flattenPanels([row(1, [panel(2, 'stat')]), panel(3, 'timeseries')]).map((p) => p.id)).toEqual([1, 2, 3]);
  });

  it('reads the committed dashboard: rows and panels, each once', () => {
    const all = flattenPanels(loadDashboard().panels ?? []);
    expect(all.filter((p) => p.type === 'row').length).toBeGreaterThan(5);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
  });
});

describe('prometheusTargets', () => {
  it('returns the targets with their expressions', () => {
    const targets = prometheusTargets(panel(1, 'stat', [{ refId: 'A', expr: 'up', instant: true }]));
    expect(targets.map((t) => [t.refId, t.expr, t.instant])).toEqual([['A', 'up', true]]);
  });

  it('refuses a target that is not a Prometheus query, naming the panel and the target', () => {
    expect(() => prometheusTargets(panel(1, 'stat', [{ refId: 'A', expr: 'up' }, { refId: 'B', rawSql: 'select 1' }])))
      .toThrow('panel "p1": target 2 has no refId or no expr: not a Prometheus query');
  });
});

describe('variableQuery', () => {
  it.each([
    ['a plain string', { name: 'app', type: 'query', query: 'label_values(up, app)' }, 'label_values(up, app)'],
    ["the Prometheus editor's object", { name: 'app', type: 'query', query: { query: 'label_values(x, app)', refId: 'A' } }, 'label_values(x, app)'],
    ['no query', { name: 'app', type: 'query' }, ''],
  ] as [string, VariableModel, string][])('%s', (_, variable, expected) => {
    expect(variableQuery(variable)).toBe(expected);
  });
});
