/**
 * The chart's CRD template, made from the files in crds/ (themselves generated from shared/), so
 * the chart cannot drift from them: a golden test compares the committed template with this.
 * A template rather than the chart's crds/ folder, because Helm neither upgrades nor templates
 * that folder: here `crds.install` can turn them off, upgrades update them, and
 * `helm.sh/resource-policy: keep` stops `helm uninstall` from deleting them with every AgentJob.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRDS_DIR = join(root, 'crds');
export const CHART_CRDS_TEMPLATE = join(root, 'charts', 'thurkube', 'templates', 'crds.yaml');

const HEADER = `{{- /* Generated from crds/ by \`npm run gen:chart-crds\`. Do not edit by hand. */ -}}
{{- if .Values.crds.install }}
`;

export function chartCrdsTemplate(dir = CRDS_DIR): string {
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      // Helm would read a "{{" in a description or a CEL rule as a template action.
      if (text.includes('{{')) throw new Error(`${file} contains "{{", which Helm would treat as a template`);
      const crd = parse(text) as { metadata: { annotations?: Record<string, string> } };
      crd.metadata.annotations = { ...crd.metadata.annotations, 'helm.sh/resource-policy': 'keep' };
      return `---\n${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`;
    });
  return `${HEADER}${docs.join('')}{{- end }}\n`;
}
