import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_README, chartReadme, valueRows } from './chart-readme.js';

const CHART = join(import.meta.dirname, '..', 'charts', 'thurkube');
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));

/** Every key path of values.yaml down to its leaves (empty maps and lists count as leaves). */
function leaves(node: unknown, prefix = ''): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || Object.keys(node).length === 0)
    return [prefix];
  return Object.entries(node).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

describe("the chart's README", () => {
  it('holds the values table and the alerts that the chart generates (run `npm run gen:chart-readme`)', () => {
    expect(readFileSync(CHART_README, 'utf8')).toBe(chartReadme());
  });

  it('documents every value of values.yaml, with its default', () => {
    const rows = valueRows(schema, values);
    const documented = (key: string) => rows.some((r) => key === r.key || key.startsWith(`${r.key}.`));
    expect(leaves(values).filter((key) => !documented(key))).toEqual([]);
    expect(rows.find((r) => r.key === 'admission.missingRefs')).toEqual({
      key: 'admission.missingRefs',
      type: '`deny`, `warn`',
      default: '`deny`',
      description: expect.stringContaining('`warn`: admit them with a warning'),
    });
  });

  it('refuses a value without a description, naming it', () => {
    const bare = {
      type: 'object',
      properties: {
        a: { type: 'object', additionalProperties: false, properties: { b: { type: 'string' } } },
      },
    };
    expect(() => valueRows(bare, {})).toThrow('"a.b" has no description');
  });
});
