// Legend names as Grafana builds them from a series' labels.
import { describe, expect, it } from 'vitest';
import { seriesName } from '../../../harness/grafana-queries/queries';

describe('seriesName', () => {
  it.each([
    ['a template', { app: 'flask_app', status: '200' }, '{{app}} {{ status }}', 'flask_app 200'],
    ['a missing label is empty', { app: 'a' }, '{{app}}/{{nope}}', 'a/'],
    ['__auto: metric and labels', { __name__: 'up', job: 'x' }, '__auto', 'up{job="x"}'],
    ['no format: labels only', { job: 'x' }, undefined, '{job="x"}'],
    ['no labels at all: the expression', {}, '', 'sum(x)'],
  ])('%s', (_, labels, format, name) => {
    expect(seriesName(labels, format, 'sum(x)')).toBe(name);
  });
});
