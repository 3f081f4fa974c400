import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHART_CRDS_TEMPLATE, CRDS_DIR, chartCrdsTemplate } from './chart-crds.js';

describe("the chart's CRD template", () => {
  it('is what crds/ generates (run `npm run gen:chart-crds` after `npm run gen:crds`)', () => {
    expect(readFileSync(CHART_CRDS_TEMPLATE, 'utf8')).toBe(chartCrdsTemplate());
  });

  it('holds every CRD of crds/ unchanged but for the keep annotation', () => {
    const body = chartCrdsTemplate()
      .split('\n')
      .filter((line) => !line.startsWith('{{'))
      .join('\n');
    const inChart = parseAllDocuments(body).map(
      (d) => d.toJS() as { metadata: { name: string; annotations: object } },
    );
    const files = readdirSync(CRDS_DIR).filter((f) => f.endsWith('.yaml'));
    expect(inChart).toHaveLength(files.length);
    for (const crd of inChart) {
      expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      const original = parseAllDocuments(
        readFileSync(`${CRDS_DIR}/${crd.metadata.name}.yaml`, 'utf8'),
      )[0]?.toJS();
      expect({ ...crd, metadata: { ...crd.metadata, annotations: undefined } }).toEqual({
        ...original,
        metadata: { ...original.metadata, annotations: undefined },
      });
    }
  });
});
