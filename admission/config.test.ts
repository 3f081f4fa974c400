import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { runAdmission } from './main.js';

describe('parseConfig', () => {
  it('has defaults for a pod: 0.0.0.0:8443, the mounted certificate, deny, info', () => {
    expect(parseConfig([], {})).toEqual({
      kubeconfig: undefined,
      host: '0.0.0.0',
      port: 8443,
      reusePort: false,
      tlsCertFile: '/etc/thurkube/tls/tls.crt',
      tlsKeyFile: '/etc/thurkube/tls/tls.key',
      missingRefs: 'deny',
      dryRunChildren: true,
      accessKeySecret: { name: 'thurkube-access-key', namespace: 'default' },
      controllerUsers: ['system:serviceaccount:default:thurkube-controller'],
      logLevel: 'info',
    });
  });

  it('reads every flag, and $KUBECONFIG only when --kubeconfig is not given', () => {
    const argv = [
      '--listen',
      '127.0.0.1:9443',
      '--tls-cert-file',
      'c',
      '--tls-key-file',
      'k',
      '--missing-refs',
      'warn',
      '--log-level',
      'debug',
      '--dry-run-children',
      'false',
      '--access-key-secret',
      'signing',
      '--access-key-namespace',
      'ops',
      '--controller-user',
      'a',
      '--controller-user',
      'b',
      '--reuse-port',
    ];
    expect(parseConfig(argv, { KUBECONFIG: '/env/kubeconfig' })).toEqual({
      kubeconfig: '/env/kubeconfig',
      host: '127.0.0.1',
      port: 9443,
      reusePort: true,
      tlsCertFile: 'c',
      tlsKeyFile: 'k',
      missingRefs: 'warn',
      dryRunChildren: false,
      accessKeySecret: { name: 'signing', namespace: 'ops' },
      controllerUsers: ['a', 'b'],
      logLevel: 'debug',
    });
    expect(parseConfig(['--kubeconfig', '/flag'], { KUBECONFIG: '/env' })?.kubeconfig).toBe('/flag');
    expect(parseConfig(['--listen', '[::1]:8443'], {})).toMatchObject({ host: '::1', port: 8443 });
  });

  it('returns nothing for --help', () => {
    expect(parseConfig(['--help'], {})).toBeUndefined();
  });

  const bad: [string[], string][] = [
    [['--missing-refs', 'maybe'], '--missing-refs: "maybe" is not deny or warn'],
    [
      ['--log-level', 'loud'],
      '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ],
    [['--listen', '8443'], '--listen: "8443" is not HOST:PORT, e.g. 127.0.0.1:8443'],
    [['--listen', '127.0.0.1:99999'], '--listen: "127.0.0.1:99999" is not HOST:PORT'],
    [['--bogus'], "Unknown option '--bogus'"],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(() => parseConfig(argv, {})).toThrow(message);
    });
  }
});

describe('runAdmission', () => {
  it('prints its usage and exits 0 for --help, 2 for a bad flag', async () => {
    expect(await runAdmission(['--help'])).toBe(0);
    expect(await runAdmission(['--missing-refs', 'maybe'])).toBe(2);
  });

  it('exits 1 with a message when it cannot start (no such kubeconfig)', async () => {
    expect(await runAdmission(['--kubeconfig', '/nonexistent/kubeconfig', '--listen', '127.0.0.1:0'])).toBe(
      1,
    );
  });
});

describe('certificate flags', () => {
  it('switches to the self-managed Secret when --cert-secret is given, with every name it needs', () => {
    const config = parseConfig(
      [
        '--cert-secret=tls',
        '--cert-namespace=thurkube-system',
        '--service-name=thurkube-admission',
        '--cert-extra-san=127.0.0.1',
      ],
      {},
    );
    expect(config?.certs).toEqual({
      secretName: 'tls',
      namespace: 'thurkube-system',
      serviceName: 'thurkube-admission',
      webhookConfigurationName: undefined,
      extraHosts: ['127.0.0.1'],
    });
    expect(parseConfig([], {})?.certs).toBeUndefined();
  });

  it('names the flags a --cert-secret still needs', () => {
    expect(() => parseConfig(['--cert-secret=tls'], {})).toThrow(
      '--cert-secret also needs --cert-namespace and --service-name',
    );
  });
});
