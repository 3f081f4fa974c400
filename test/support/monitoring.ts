/**
 * The chart's monitoring files (alerts and dashboard) as the suites read them, the metric names
 * their queries use, and Debian's promtool.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
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
export function promtool(): string {
  return findBinary('promtool');
}

export function findBinary(name: string): string {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `${name} is not on PATH: install Debian's prometheus package (apt-get install --no-install-recommends prometheus), as .ci/run does`,
    );
  }
  return found;
}
