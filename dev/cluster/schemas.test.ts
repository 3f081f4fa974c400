import { describe, expect, it } from 'vitest';
import { schemaFileName, schemasFromCrd, schemasFromSwagger } from './schemas.js';

const swagger = {
  definitions: {
    'io.k8s.api.apps.v1.Deployment': {
      'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        spec: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' },
      },
    },
    'io.k8s.api.apps.v1.DeploymentSpec': {
      required: ['selector'],
      properties: {
        replicas: { type: 'integer' },
        maxSurge: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
        cpu: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    'io.k8s.api.core.v1.Unrelated': { properties: { x: { type: 'string' } } },
  },
};

describe('kubeconform schemas', () => {
  it('are named as kubeconform looks them up', () => {
    expect(schemaFileName({ group: 'apps', version: 'v1', kind: 'Deployment' })).toBe(
      'deployment-apps-v1.json',
    );
    expect(schemaFileName({ group: '', version: 'v1', kind: 'ConfigMap' })).toBe('configmap-v1.json');
    expect(schemaFileName({ group: 'monitoring.coreos.com', version: 'v1', kind: 'PrometheusRule' })).toBe(
      'prometheusrule-monitoring-v1.json',
    );
  });

  it('from swagger: standalone, strict, pinned to the kind, int-or-string and quantities as the API server takes them', () => {
    const files = schemasFromSwagger(swagger, [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    const schema = files.get('deployment-apps-v1.json') as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
      definitions: Record<string, { additionalProperties?: unknown; required?: string[] }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.apiVersion).toEqual({ type: 'string', enum: ['apps/v1'] });
    expect(schema.properties.kind).toEqual({ type: 'string', enum: ['Deployment'] });
    expect(Object.keys(schema.definitions).sort()).toEqual([
      'io.k8s.api.apps.v1.DeploymentSpec',
      'io.k8s.apimachinery.pkg.api.resource.Quantity',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ]);
    const spec = schema.definitions['io.k8s.api.apps.v1.DeploymentSpec'];
    expect(spec?.additionalProperties).toBe(false);
    expect(spec?.required).toEqual(['selector']);
    expect(schema.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toEqual({
      oneOf: [{ type: 'string' }, { type: 'integer' }],
    });
    expect(schema.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity']).toEqual({
      oneOf: [{ type: 'string' }, { type: 'number' }],
    });
  });

  it('from a CRD: one per version, strict except where unknown fields are preserved', () => {
    const files = schemasFromCrd({
      kind: 'CustomResourceDefinition',
      spec: {
        group: 'monitoring.coreos.com',
        names: { kind: 'ServiceMonitor' },
        versions: [
          {
            name: 'v1',
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: {
                      port: {
                        'x-kubernetes-int-or-string': true,
                        anyOf: [{ type: 'integer' }, { type: 'string' }],
                      },
                      extra: {
                        type: 'object',
                        'x-kubernetes-preserve-unknown-fields': true,
                        properties: { a: {} },
                      },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    });
    const schema = files.get('servicemonitor-monitoring-v1.json') as {
      properties: {
        spec: {
          additionalProperties: boolean;
          properties: Record<string, { additionalProperties?: boolean }>;
        };
      };
    };
    expect(schema.properties.spec.additionalProperties).toBe(false);
    expect(schema.properties.spec.properties.extra?.additionalProperties).toBeUndefined();
    expect(schema.properties.spec.properties.port).toEqual({
      oneOf: [{ type: 'string' }, { type: 'integer' }],
    });
  });
});
