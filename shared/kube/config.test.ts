import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  connectionFromConfig,
  connectionFromKubeconfig,
  contextNamespace,
  loadKubeConfig,
  readKubeconfig,
} from './config.js';

function kubeconfig(
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = { server: 'https://127.0.0.1:6443' },
  format: 'yaml' | 'json' = 'yaml',
) {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  writeFileSync(join(dir, 'ca.crt'), 'CA-PEM');
  writeFileSync(join(dir, 'token'), 'file-token\n');
  const path = join(dir, 'config');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'ctx',
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
  };
  writeFileSync(path, format === 'json' ? JSON.stringify(config, null, 2) : stringify(config));
  return path;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kubeconfig reader', () => {
  it('reads embedded certificate data of the current context', () => {
    const c = connectionFromKubeconfig(
      kubeconfig(
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
        { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') },
      ),
    );
    expect([c.server, c.ca, c.cert, c.key, c.token]).toEqual([
      'https://127.0.0.1:6443',
      'CA',
      'CERT',
      'KEY',
      undefined,
    ]);
  });

  it('resolves file paths relative to the kubeconfig and reads token files', () => {
    const c = connectionFromKubeconfig(
      kubeconfig({ tokenFile: 'token' }, { server: 'https://h:1', 'certificate-authority': 'ca.crt' }),
    );
    expect(c.ca).toBe('CA-PEM');
    expect(c.token?.()).toBe('file-token');
  });

  it('keeps a token file read for a minute, and reads it again at once when asked (after a 401)', () => {
    const path = kubeconfig({ tokenFile: 'token' });
    const c = connectionFromKubeconfig(path);
    expect(c.token?.()).toBe('file-token');
    writeFileSync(join(dirname(path), 'token'), 'rotated-token\n');
    expect(c.token?.()).toBe('file-token');
    expect(c.token?.(true)).toBe('rotated-token');
    expect(c.token?.()).toBe('rotated-token');
  });

  it('reads a JSON kubeconfig as its YAML twin, without loading the YAML reader', () => {
    const user = { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') };
    const cluster = {
      server: 'https://127.0.0.1:6443',
      'certificate-authority': 'ca.crt',
      'insecure-skip-tls-verify': true,
    };
    const json = kubeconfig(user, cluster, 'json');
    const fields = (c: ReturnType<typeof connectionFromKubeconfig>) => [
      c.server,
      c.ca,
      c.cert,
      c.key,
      c.insecureSkipTlsVerify,
    ];
    expect(fields(connectionFromKubeconfig(json))).toEqual(
      fields(connectionFromKubeconfig(kubeconfig(user, cluster))),
    );
    expect(fields(connectionFromKubeconfig(json))).toEqual([
      'https://127.0.0.1:6443',
      'CA-PEM',
      'CERT',
      'KEY',
      true,
    ]);
    // In a process of its own: this one has loaded yaml already (the fixture writes YAML).
    const probe = `
      import { createRequire } from 'node:module';
      import { connectionFromKubeconfig } from ${JSON.stringify(join(import.meta.dirname, 'config.ts'))};
      connectionFromKubeconfig(${JSON.stringify(json)});
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('/node_modules/yaml/'));
      process.stdout.write(String(loaded.length));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
      encoding: 'utf8',
    });
    expect(out).toBe('0');
  });

  it('reads a YAML flow mapping that is not JSON, and names the file of one that is neither', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    const flow = join(dir, 'flow');
    writeFileSync(
      flow,
      '{current-context: ctx, contexts: [{name: ctx, context: {cluster: c, user: u}}], clusters: [{name: c, cluster: {server: "https://h:1"}}], users: [{name: u, user: {token: t}}]}',
    );
    const c = connectionFromKubeconfig(flow);
    expect([c.server, c.token?.()]).toEqual(['https://h:1', 't']);
    const broken = join(dir, 'broken');
    writeFileSync(broken, '{"clusters": [');
    expect(() => connectionFromKubeconfig(broken)).toThrow(`cannot read kubeconfig ${broken}: `);
  });

  it('refuses exec plugins with a message that says what to use instead', () => {
    expect(() => connectionFromKubeconfig(kubeconfig({ exec: { command: 'aws' } }))).toThrow(
      /uses an exec or auth-provider plugin, which thurkube does not run; use a client certificate or a token/,
    );
  });

  it('says what is missing when there is neither a kubeconfig nor a pod', () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(() => loadKubeConfig(undefined)).toThrow(
        /pass --kubeconfig PATH \(or set KUBECONFIG\), or run inside a pod/,
      );
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });
});

describe('kubeconfig lists and contexts (the kubectl plugin)', () => {
  it('merges a KUBECONFIG list as kubectl does: first current-context, first entry of each name, paths per file', () => {
    const first = kubeconfig({ token: 'first-token' });
    const second = join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'other');
    writeFileSync(join(dirname(second), 'ca.crt'), 'OTHER-CA');
    writeFileSync(
      second,
      stringify({
        'current-context': 'other',
        contexts: [
          { name: 'other', context: { cluster: 'o', user: 'ou', namespace: 'agents' } },
          { name: 'ctx', context: { cluster: 'o', user: 'ou' } },
        ],
        clusters: [
          { name: 'o', cluster: { server: 'https://127.0.0.1:7443', 'certificate-authority': 'ca.crt' } },
        ],
        users: [{ name: 'ou', user: { token: 'other-token' } }],
      }),
    );
    const merged = readKubeconfig([first, second]);
    expect(merged['current-context']).toBe('ctx');
    expect(connectionFromConfig(merged, 'KUBECONFIG').token?.()).toBe('first-token');
    const other = connectionFromConfig(merged, 'KUBECONFIG', 'other');
    expect([other.server, other.ca, other.token?.()]).toEqual([
      'https://127.0.0.1:7443',
      'OTHER-CA',
      'other-token',
    ]);
    expect(contextNamespace(merged, 'other')).toBe('agents');
    expect(contextNamespace(merged)).toBeUndefined();
    expect(() => connectionFromConfig(merged, 'KUBECONFIG', 'nope')).toThrow(
      'kubeconfig KUBECONFIG: context "nope" not found',
    );
  });
});
