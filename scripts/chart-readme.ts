/**
 * The generated parts of charts/thurkube/README.md: the values table, from values.schema.json
 * (key, type, description) and values.yaml (default), and the alerts, from monitoring/alerts.yaml.
 * Each sits between markers; the prose around them is written by hand. A golden test compares the
 * committed README with this, so neither table can drift from the files it describes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const CHART = join(dirname(fileURLToPath(import.meta.url)), '..', 'charts', 'thurkube');
export const CHART_README = join(CHART, 'README.md');

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  description?: string;
  definitions?: Record<string, unknown>;
}

export interface ValueRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

function resolve(root: SchemaNode, node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const path = node.$ref.replace(/^#\//, '').split('/');
  let target: unknown = root;
  for (const part of path) target = (target as Record<string, unknown>)[part];
  if (!target) throw new Error(`values.schema.json: ${node.$ref} points nowhere`);
  return { ...(target as SchemaNode), ...(node.description ? { description: node.description } : {}) };
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (Array.isArray(node.type)) return node.type.join(' or ');
  if (node.type === 'object' && typeof node.additionalProperties === 'object')
    return `map of ${typeOf(node.additionalProperties)}`;
  return node.type ?? 'any';
}

function valueAt(values: unknown, key: string): unknown {
  let at = values;
  for (const part of key.split('.')) at = (at as Record<string, unknown> | undefined)?.[part];
  return at;
}

/** A default as a reader writes it in values: YAML-ish, short. */
function show(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value === '' ? '`""`' : `\`${value}\``;
  return `\`${JSON.stringify(value).replaceAll('","', '", "').replaceAll(',"', ', "').replaceAll('":', '": ')}\``;
}

/**
 * One row per value a user sets. A section (an object whose keys are closed, additionalProperties
 * false, with no description of its own) is walked into; anything else (a map, a list, a
 * free-form or described object such as resources) is one value.
 */
export function valueRows(schema: SchemaNode, values: unknown): ValueRow[] {
  const rows: ValueRow[] = [];
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [name, raw] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${name}` : name;
      const child = resolve(schema, raw);
      if (child.properties && child.additionalProperties === false && !child.description) {
        walk(child, key);
        continue;
      }
      if (!child.description)
        throw new Error(
          `values.schema.json: "${key}" has no description; every value needs one for the chart README`,
        );
      rows.push({
        key,
        type: typeOf(child),
        default: show(valueAt(values, key)),
        description: child.description,
      });
    }
  };
  walk(schema, '');
  return rows;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function valuesTable(schema: SchemaNode, values: unknown): string {
  const lines = ['| key | type | default | description |', '|---|---|---|---|'];
  for (const r of valueRows(schema, values))
    lines.push(`| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
  return lines.join('\n');
}

interface Rule {
  alert: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * Prometheus template actions as a reader of the README sees them: the alert's labels and value
 * in capitals (angle brackets would be read as HTML), the release's names as the chart fills them.
 */
const readable = (text: string) =>
  text
    .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, label: string) => label.toUpperCase())
    .replace(/\{\{\s*\$value[^}]*\}\}/g, 'VALUE')
    .replaceAll('CERT_SECRET', 'FULLNAME-admission-tls');

export function alertsSection(groups: { name: string; rules: Rule[] }[]): string {
  const out: string[] = [];
  for (const group of groups)
    for (const rule of group.rules) {
      const a = rule.annotations ?? {};
      out.push(
        `### ${rule.alert}`,
        '',
        `**${rule.labels?.severity ?? 'unset'}**, after ${rule.for ?? '0m'}: ${readable(a.summary ?? '')}`,
        '',
        readable(a.description ?? ''),
        '',
        `*Runbook.* ${readable(a.runbook ?? '')}`,
        '',
      );
    }
  return out.join('\n').trimEnd();
}

function replaceBetween(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start (generated by npm run gen:chart-readme) -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${CHART_README}: markers "${start}" and "${end}" not found`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

/** The chart README with both generated parts brought up to date. */
export function chartReadme(current = readFileSync(CHART_README, 'utf8')): string {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode;
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const alerts = parse(readFileSync(join(CHART, 'monitoring', 'alerts.yaml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  return replaceBetween(
    replaceBetween(current, 'values', valuesTable(schema, values)),
    'alerts',
    alertsSection(alerts.groups),
  );
}
