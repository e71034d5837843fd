// bench/render.ts and tables.ts: the stdout table, the Markdown of latest.md and the JSON file.
import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderText, toJson } from '../../bench/render';
import { summarise } from '../../bench/summary';
import { raw } from './records';

describe('rendering', () => {
  const results = raw();
  const summary = summarise(results);

  it('the text table starts with the date and the machine, and has every section', () => {
    const text = renderText(results, summary);
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Date: 2026-11-25T20:00:00.123Z',
      'Machine: Test CPU, 2 cores, 1024 MiB, Linux test x64, Node v24.21.0',
    ]);
    for (const title of ['Overhead:', 'CPU time per request', 'alternating slices', 'Packing:', 'Nothing lost:', 'Peers:', 'Memory:', 'Packing recommendation']) {
      expect(text).toContain(title);
    }
  });

  it('the Markdown has a well-formed table per section', () => {
    const markdown = renderMarkdown(results, summary);
    expect(markdown.match(/^\|(---:?\|)+$/gm)).toHaveLength(7);
    for (const block of markdown.split('\n\n').filter((candidate) => candidate.startsWith('|'))) {
      const cells = block.split('\n').map((line) => line.replace(/\\\|/g, '').split('|').length);
      expect(new Set(cells).size).toBe(1);
    }
  });

  it('the saturation table gains a row with kills: answered, counted, and the difference per kill', () => {
    const withKills = raw({
      kills: {
        packing: 'buffer', workers: 2, connections: 32, requests: 60_000, killAfterMs: 1500, label: 'bench',
        rounds: [
          { answered: 59_970, durationS: 5, counted: 59_970, killedWhileLoading: true },
          { answered: 59_969, durationS: 5, counted: 59_999, killedWhileLoading: true },
        ],
      },
    });
    const markdown = renderMarkdown(withKills, summarise(withKills));
    expect(markdown).toContain('| buffer, 2 kills | 2 | 10.0 | 11,994 | 119939 | 119969 | +30 (0, +30) |  |  |  | yes |');
    const lost = raw({
      kills: { ...withKills.kills, rounds: [{ answered: 59_970, durationS: 5, counted: 59_965, killedWhileLoading: true }] },
    });
    expect(renderMarkdown(lost, summarise(lost))).toContain('| buffer, 1 kill | 2 | 5.0 | 11,994 | 59970 | 59965 | -5 (-5) |  |  |  | NO |');
  });

  it('the JSON holds the raw records and the summary', () => {
    const parsed = JSON.parse(toJson(results, summary)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['machine', 'options', 'runs', 'lossless', 'summary']));
  });
});
