import { describe, expect, it } from 'vitest';
import { parseDuration, splitGlobalFlags, UsageError } from './args.js';

describe('kubectl’s connection flags', () => {
  it('are taken from anywhere on the line, in every form kubectl accepts', () => {
    expect(
      splitGlobalFlags([
        '--kubeconfig',
        '/k',
        'run',
        '-nagents',
        'pr-fixer',
        '--context=dev',
        '--wait',
        '-A',
      ]),
    ).toEqual({
      global: { kubeconfig: '/k', context: 'dev', namespace: 'agents', allNamespaces: true, help: false },
      rest: ['run', 'pr-fixer', '--wait'],
    });
    expect(splitGlobalFlags(['logs', 'x', '--namespace=a', '-f']).global.namespace).toBe('a');
    expect(splitGlobalFlags(['why', '-n', 'b', 'x']).rest).toEqual(['why', 'x']);
    expect(splitGlobalFlags(['run', '--help']).global.help).toBe(true);
  });

  it('say which flag lacks its value', () => {
    expect(() => splitGlobalFlags(['run', 'x', '-n'])).toThrow(new UsageError('flag -n needs a value'));
    expect(() => splitGlobalFlags(['--kubeconfig='])).toThrow('flag --kubeconfig needs a value');
  });
});

describe('--timeout durations', () => {
  it('read Go durations as kubectl does', () => {
    expect(parseDuration('--timeout', '90s')).toBe(90_000);
    expect(parseDuration('--timeout', '1h30m')).toBe(5_400_000);
    expect(parseDuration('--timeout', '0')).toBe(0);
  });

  it('refuse anything else with an example', () => {
    expect(() => parseDuration('--timeout', '10')).toThrow(
      '--timeout "10": expected a duration such as 90s, 5m or 1h30m',
    );
    expect(() => parseDuration('--timeout', '5 m')).toThrow(UsageError);
  });
});
