// The page in the real Chromium: a panel the imitation cannot draw is a labelled placeholder in
// the picture, reported as such, while the panel beside it is drawn.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Panel } from '@grafana/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { screenshot } from '../../../tools/dashboard-png/browser';
import { buildPage, buildPanelModel, PAGE_WIDTH, pageModel } from '../../../tools/dashboard-png/page';

const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-png-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const range = { fromMs: 0, toMs: 60_000 };
const panel = (id: number, type: string, title: string, x: number): Panel => ({
  id, type, title, gridPos: { x, y: 0, w: 12, h: 6 },
  fieldConfig: { defaults: { unit: 'none', decimals: 0 }, overrides: [] },
  options: { reduceOptions: { calcs: ['lastNotNull'] } },
});
const data = (p: Panel) => ({
  panel: p,
  series: [{ refId: 'A', name: 'up', labels: {}, points: [[60_000, 1]] as [number, number][] }],
  runs: [{ refId: 'A', expr: 'up', kind: 'instant' as const, seriesCount: 1 }],
});

describe('screenshot', () => {
  it('draws a panel it cannot imitate as a placeholder labelled with why, and the others as panels', async () => {
    const panels = [panel(1, 'stat', 'Up', 0), panel(2, 'heatmap', 'Latency heatmap', 12)];
    const model = pageModel({
      title: 'Test', range, variables: [], provenance: 'test', allPanels: panels,
      panels: panels.map((p) => buildPanelModel(data(p), range)),
    });
    const out = path.join(dir, 'page.png');
    const report = await screenshot(buildPage(model), out, PAGE_WIDTH);
    expect(report).toEqual({
      problems: [],
      placeholders: ['Latency heatmap: Not drawn by this imitation of Grafana: panel type "heatmap" is not drawn by the renderer'],
    });
    expect(statSync(out).size).toBeGreaterThan(5_000);
  });
});
