/** Writes charts/thurkube/templates/crds.yaml from crds/; `--check` only compares (exit 1 on a difference). */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CHART_CRDS_TEMPLATE, chartCrdsTemplate } from './chart-crds.js';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm run gen:chart-crds [-- --check]

Generates the Helm chart's CRD template (charts/thurkube/templates/crds.yaml) from crds/.
Run it after \`npm run gen:crds\`.
  --check   write nothing; exit 1 when the template differs from what crds/ generates`);
  process.exit(0);
}
const wanted = chartCrdsTemplate();
let current = '';
try {
  current = readFileSync(CHART_CRDS_TEMPLATE, 'utf8');
} catch {}
if (current !== wanted) {
  if (values.check) {
    console.error(
      `Out of date: ${CHART_CRDS_TEMPLATE}\nRun \`npm run gen:chart-crds\` and commit the result.`,
    );
    process.exit(1);
  }
  writeFileSync(CHART_CRDS_TEMPLATE, wanted);
  console.log(`Wrote ${CHART_CRDS_TEMPLATE}`);
}
