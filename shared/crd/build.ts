/** Builds the CustomResourceDefinition of each kind from the schema package. */
import { API_VERSION, CATEGORY, GROUP, KIND_NAMES, type KindName, NAMES, VERSION } from '../api.js';
import { KINDS } from '../kinds.js';
import { type OpenApiSchema, toOpenApi } from './openapi.js';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

export function crdName(kind: KindName): string {
  return `${NAMES[kind].plural}.${GROUP}`;
}

export function buildCrd(kind: KindName): CustomResourceDefinition {
  const def = KINDS[kind];
  const names = NAMES[kind];
  const properties: Record<string, OpenApiSchema> = {
    apiVersion: {
      type: 'string',
      description: `Versioned schema of this object: ${API_VERSION}.`,
    },
    kind: { type: 'string', description: `Kind of this object: ${kind}.` },
    // The API server owns metadata's schema and forbids describing it here.
    metadata: { type: 'object' },
    spec: toOpenApi(def.spec, 'spec'),
  };
  if (def.status) properties.status = toOpenApi(def.status, 'status');
  const root: OpenApiSchema = {
    type: 'object',
    description: def.description,
    properties,
    required: ['spec'],
  };
  if (def.rootRules) root['x-kubernetes-validations'] = def.rootRules;

  const version: Record<string, unknown> = {
    name: VERSION,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: root },
  };
  if (def.status) version.subresources = { status: {} };
  if (def.printerColumns) version.additionalPrinterColumns = def.printerColumns;

  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(kind),
      labels: { 'app.kubernetes.io/name': 'thurkube', 'app.kubernetes.io/part-of': 'thurkube' },
    },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: [names.shortName],
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [version],
    },
  };
}

export function buildAllCrds(): CustomResourceDefinition[] {
  return KIND_NAMES.map(buildCrd);
}
