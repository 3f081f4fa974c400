/**
 * The chart's monitoring: the alert rules through promtool (syntax, and unit tests of every alert
 * with series that make it fire and series that must not), the PrometheusRule and dashboard
 * ConfigMap the chart renders from the same files, and the dashboard's queries against the
 * metrics the services really register. The queries returning data from live services is
 * test/e2e/monitoring.test.ts.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AdmissionMetrics } from '../../admission/metrics.js';
import { controllerMetrics } from '../../controller/metrics.js';
import { run } from '../../dev/cluster/run.js';
import { FIXTURES } from '../fixtures/load.js';
import { CHART_DIR, find, setArgs, template } from '../support/chart.js';
import {
  ALERTS_FILE,
  DASHBOARD_FILE,
  dashboardQueries,
  loadAlerts,
  loadDashboard,
  metricNames,
  promtool,
  RUN_METRICS,
  type RuleGroup,
} from '../support/monitoring.js';
import { testCluster } from '../support/testing.js';

const cluster = testCluster();
const helm = (args: string[]) => cluster.helm(args);
const UNIT_TESTS = join(FIXTURES, 'monitoring', 'alerts.test.yaml');
const work = mkdtempSync(join(tmpdir(), 'thurkube-monitoring-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const registered = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? '');
/** What the two services register, by name. */
const SERVICE_METRICS = new Set([
  ...registered(controllerMetrics().registry.render()),
  ...registered(new AdmissionMetrics().registry.render()),
]);
const KNOWN = new Set([...SERVICE_METRICS, ...RUN_METRICS]);

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    const res = await run(promtool(), ['check', 'rules', ALERTS_FILE]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('SUCCESS: 12 rules found');
  });

  it("pass promtool's unit tests: each alert fires on the series it is for, and none on a healthy install", async () => {
    // promtool compares annotations exactly; the runbooks are prose (checked below and shown in
    // the chart README), so the copy it tests keeps everything else.
    const groups = loadAlerts().map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations, ...rule }) => {
        const { runbook: _, ...rest } = annotations ?? {};
        return { ...rule, annotations: rest };
      }),
    }));
    writeFileSync(join(work, 'alerts.yaml'), stringify({ groups }));
    copyFileSync(UNIT_TESTS, join(work, 'alerts.test.yaml'));
    const res = await run(promtool(), ['test', 'rules', join(work, 'alerts.test.yaml')]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('SUCCESS');
  });

  it('have a unit test where each one fires, a severity, a summary, a description and a runbook', () => {
    const tests = parse(readFileSync(UNIT_TESTS, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    const rules = loadAlerts().flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert).filter((name) => !firing.has(name))).toEqual([]);
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(Object.keys(rule.annotations ?? {}).sort(), rule.alert).toEqual([
        'description',
        'runbook',
        'summary',
      ]);
      expect(rule.alert).toMatch(/^Thurkube[A-Za-z]+$/);
    }
  });

  it('read only metrics the services register', () => {
    const used = loadAlerts().flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr)));
    expect(used.filter((name) => !KNOWN.has(name))).toEqual([]);
  });
});

describe('PrometheusRule in the chart', () => {
  it('passes helm lint --strict with the alerts and the dashboard on', async () => {
    const res = await helm([
      'lint',
      '--strict',
      CHART_DIR,
      ...setArgs({ 'metrics.prometheusRule.enabled': true, 'metrics.grafanaDashboard.enabled': true }),
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
  });

  it('is off by default', async () => {
    const { objects } = await template(helm, 'thurkube', 'thurkube-system');
    expect(objects.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  });

  it('ships the tested rules, with the release in the runbooks, and passes promtool', async () => {
    const { objects } = await template(helm, 'tk', 'ops', { 'metrics.prometheusRule.enabled': true });
    const rule = find<{ spec: { groups: RuleGroup[] } }>(objects, 'PrometheusRule', 'tk-thurkube');
    const substitute = (text: string) =>
      text
        .replaceAll('RELEASE_NAMESPACE', 'ops')
        .replaceAll('CERT_SECRET', 'tk-thurkube-admission-tls')
        .replaceAll('FULLNAME', 'tk-thurkube');
    const expected = loadAlerts().map((g) => ({
      ...g,
      rules: g.rules.map((r) => ({
        ...r,
        annotations: Object.fromEntries(
          Object.entries(r.annotations ?? {}).map(([k, v]) => [k, substitute(v)]),
        ),
      })),
    }));
    expect(rule.spec.groups).toEqual(expected);
    const runbook = rule.spec.groups[1]?.rules.find((r) => r.alert === 'ThurkubeControllerDown')?.annotations
      ?.runbook;
    expect(runbook).toContain('kubectl logs -n ops deploy/tk-thurkube-controller');
    const file = join(work, 'rendered.yaml');
    writeFileSync(file, stringify(rule.spec));
    const res = await run(promtool(), ['check', 'rules', file]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
  });

  it('adds alertLabels to every alert and leaves out the disabled ones', async () => {
    const { objects } = await template(helm, 'thurkube', 'thurkube-system', {
      'metrics.prometheusRule.enabled': true,
      'metrics.prometheusRule.labels.release': 'kube-prometheus-stack',
      'metrics.prometheusRule.alertLabels.team': 'platform',
      'metrics.prometheusRule.disabled[0]': 'ThurkubeAgentJobRunsFailing',
    });
    const rule = find<{ metadata: { labels: Record<string, string> }; spec: { groups: RuleGroup[] } }>(
      objects,
      'PrometheusRule',
      'thurkube',
    );
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    // The runs group held only the disabled alert: it is gone with it.
    expect(rule.spec.groups.map((g) => g.name)).toEqual(['thurkube.controller', 'thurkube.admission']);
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules).toHaveLength(11);
    for (const r of rules) expect(r.labels?.team, r.alert).toBe('platform');
    expect(rules.find((r) => r.alert === 'ThurkubeControllerDown')?.labels?.severity).toBe('critical');
  });
});

describe('Grafana dashboard', () => {
  const dashboard = loadDashboard();

  it('is a ConfigMap for Grafana’s sidecar when enabled, holding the dashboard file', async () => {
    const off = await template(helm, 'thurkube', 'thurkube-system');
    expect(off.objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('dashboard'))).toBe(
      false,
    );
    const { objects } = await template(helm, 'thurkube', 'thurkube-system', {
      'metrics.grafanaDashboard.enabled': true,
      'metrics.grafanaDashboard.namespace': 'monitoring',
      'metrics.grafanaDashboard.annotations.grafana_folder': 'thurkube',
    });
    const cm = find<{
      metadata: { namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
      data: Record<string, string>;
    }>(objects, 'ConfigMap', 'thurkube-dashboard');
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'thurkube' });
    expect(JSON.parse(cm.data['thurkube.json'] ?? '')).toEqual(
      JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')),
    );
  });

  it('covers runs, reconciles, the work queue, watches, admission reviews and the certificate', () => {
    const used = new Set(dashboardQueries(dashboard).flatMap((q) => metricNames(q.expr)));
    for (const name of [
      'thurkube_agentjob_runs_total',
      'thurkube_agentjob_run_duration_seconds',
      'thurkube_agentjob_cost_usd_total',
      'thurkube_agentjob_input_tokens_total',
      'thurkube_agentjob_output_tokens_total',
      'thurkube_controller_reconcile_total',
      'thurkube_controller_reconcile_duration_seconds',
      'thurkube_controller_workqueue_depth',
      'thurkube_controller_watch_last_event_timestamp_seconds',
      'thurkube_controller_watch_restarts_total',
      'thurkube_controller_leader',
      'thurkube_admission_requests_total',
      'thurkube_admission_request_duration_seconds',
      'thurkube_admission_certificate_expiry_timestamp_seconds',
    ])
      expect(used, name).toContain(name);
    expect([...used].filter((name) => !KNOWN.has(name))).toEqual([]);
  });

  it('is well-formed: unique panel ids, every query on the datasource variable, no overlapping panels', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const variables = dashboard.templating.list.map((v) => v.name);
    expect(variables).toEqual(['datasource', 'namespace']);
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.get(key), `${panel.title} overlaps`).toBeUndefined();
          cells.set(key, panel.title);
        }
      if (panel.type === 'row') continue;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) {
        expect(t.datasource, panel.title).toEqual(panel.datasource);
        // Only Grafana's own interval variables and the dashboard's.
        for (const [v] of t.expr.matchAll(/\$\w+/g))
          expect(['$__rate_interval', '$__range', '$namespace'], `${panel.title}: ${v}`).toContain(v);
      }
    }
  });
});
