/** Brings the generated parts of charts/thurkube/README.md up to date; `--check` only compares. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CHART_README, chartReadme } from './chart-readme.js';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm run gen:chart-readme [-- --check]

Regenerates the values table (from charts/thurkube/values.schema.json and values.yaml) and the
alerts (from charts/thurkube/monitoring/alerts.yaml) in charts/thurkube/README.md.
  --check   write nothing; exit 1 when the README differs from what they generate`);
  process.exit(0);
}
const current = readFileSync(CHART_README, 'utf8');
const wanted = chartReadme(current);
if (current !== wanted) {
  if (values.check) {
    console.error(`Out of date: ${CHART_README}\nRun \`npm run gen:chart-readme\` and commit the result.`);
    process.exit(1);
  }
  writeFileSync(CHART_README, wanted);
  console.log(`Wrote ${CHART_README}`);
}
