import { describe, expect, it } from 'vitest';
import { parseControllerArgs, runController } from './main.js';

describe('thurkube controller flags', () => {
  it('has the documented defaults', () => {
    expect(parseControllerArgs([], {})).toEqual({
      kubeconfig: undefined,
      namespace: undefined,
      leaderElect: true,
      leaseNamespace: 'default',
      leaseName: 'thurkube-controller',
      concurrency: 32,
      clusterAccess: true,
      accessKeySecret: { name: 'thurkube-access-key', namespace: 'default' },
      runHistory: 10,
      metricsHost: '0.0.0.0',
      metricsPort: 8080,
      reusePort: false,
      logLevel: 'info',
    });
  });

  it('reads every flag, and $KUBECONFIG only when --kubeconfig is not given', () => {
    const argv = [
      '--namespace=agents',
      '--leader-elect=false',
      '--lease-namespace=ops',
      '--lease-name=ctl',
      '--concurrency=4',
      '--cluster-access=false',
      '--access-key-secret=signing',
      '--run-history=50',
      '--metrics-bind=127.0.0.1:0',
      '--reuse-port',
      '--log-level=debug',
    ];
    expect(parseControllerArgs(argv, { KUBECONFIG: '/env' })).toEqual({
      kubeconfig: '/env',
      namespace: 'agents',
      leaderElect: false,
      leaseNamespace: 'ops',
      leaseName: 'ctl',
      concurrency: 4,
      clusterAccess: false,
      // The key's namespace follows the lease's unless given.
      accessKeySecret: { name: 'signing', namespace: 'ops' },
      runHistory: 50,
      metricsHost: '127.0.0.1',
      metricsPort: 0,
      reusePort: true,
      logLevel: 'debug',
    });
    expect(parseControllerArgs(['--kubeconfig=/flag'], { KUBECONFIG: '/env' })?.kubeconfig).toBe('/flag');
    expect(parseControllerArgs(['--metrics-bind=:9090'], {})).toMatchObject({
      metricsHost: '',
      metricsPort: 9090,
    });
    expect(parseControllerArgs(['--help'], {})).toBeUndefined();
  });

  const bad: [string, string][] = [
    ['--metrics-bind=8080', '--metrics-bind: "8080" is not HOST:PORT'],
    ['--concurrency=0', '--concurrency: "0" is not a positive whole number'],
    ['--run-history=51', '--run-history: "51" is not a whole number from 1 to 50'],
    ['--log-level=loud', '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent'],
    ['--cluster-access=yes', '--cluster-access: "yes" is not true or false'],
    ['--leader-elect=no', '--leader-elect: "no" is not true or false'],
    ['--bogus', "Unknown option '--bogus'"],
  ];
  for (const [flag, message] of bad) {
    it(`refuses ${flag}`, () => {
      expect(() => parseControllerArgs([flag], {})).toThrow(message);
    });
  }
});

describe('runController', () => {
  it('exits 0 for --help, 2 for a bad flag, 1 when it cannot start', async () => {
    expect(await runController(['--help'])).toBe(0);
    expect(await runController(['--concurrency=none'])).toBe(2);
    expect(await runController(['--kubeconfig=/nonexistent/kubeconfig', '--metrics-bind=127.0.0.1:0'])).toBe(
      1,
    );
  });
});
