/**
 * The chart's monitoring files (alerts and dashboard) as the suites read them, the metric names
 * their queries use, and Debian's promtool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findBinary } from '../../dev/prometheus.js';
import { CHART_DIR } from './chart.js';

export const ALERTS_FILE = join(CHART_DIR, 'monitoring', 'alerts.yaml');
export const DASHBOARD_FILE = join(CHART_DIR, 'monitoring', 'dashboard.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export const loadAlerts = (): RuleGroup[] =>
  (parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;

export interface Target {
  refId: string;
  expr: string;
  instant?: boolean;
  datasource?: { type: string; uid: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

export const loadDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

/** Every query of the dashboard, named as a person finds it: panel title and query letter. */
export function dashboardQueries(dashboard: Dashboard): { name: string; expr: string }[] {
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ name: `${p.title} (${t.refId})`, expr: t.expr })),
  );
}

/**
 * The metrics a PromQL expression reads, by the name a service registers (a histogram's
 * _bucket, _sum and _count series count as the histogram).
 */
export function metricNames(expr: string): string[] {
  const names = expr.match(/\b(thurkube|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))].sort();
}

/** Grafana's variables as a dashboard shows them by default: every namespace, the given windows. */
export function grafanaExpr(expr: string, windows: { rateInterval: string; range: string }): string {
  return expr
    .replaceAll('$__rate_interval', windows.rateInterval)
    .replaceAll('$__range', windows.range)
    .replaceAll('$namespace', '.*');
}

/** promtool from Debian's prometheus package (.ci/run installs it). */
export const promtool = (): string => findBinary('promtool');

/**
 * The run metrics (issue 15 names them) that the dashboard and the alerts use; the controller
 * registers them once the runs work lands, and from then on they are checked like the others.
 */
export const RUN_METRICS = [
  'thurkube_agentjob_runs_total',
  'thurkube_agentjob_run_duration_seconds',
  'thurkube_agentjob_cost_usd_total',
  'thurkube_agentjob_input_tokens_total',
  'thurkube_agentjob_output_tokens_total',
];
