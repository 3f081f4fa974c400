import { afterEach, describe, expect, it, vi } from 'vitest';
import { ThurkubeError } from '../errors.js';
import { createLogger } from '../log.js';
import { runService, type Service } from './run.js';

const logger = createLogger('test', 'silent');

/** A service that records what the shell did with it. */
function fake(overrides: Partial<Service<{ port: number }>> = {}) {
  const events: string[] = [];
  const service: Service<{ port: number }> = {
    name: 'fake',
    usage: 'Usage: thurkube fake',
    parse: (argv) => {
      if (argv.includes('--help')) return undefined;
      if (argv.includes('--bad')) throw new ThurkubeError('Invalid', '--bad: not a flag');
      return { port: 1 };
    },
    start: async (config) => {
      events.push(`started on ${config.port}`);
      return { logger, stop: async () => void events.push('stopped') };
    },
    stopping: 'stopping',
    ...overrides,
  };
  return { service, events };
}

afterEach(() => vi.restoreAllMocks());

describe('the service shell', () => {
  it('prints the usage for --help (exit 0) and after a bad flag (exit 2), starting nothing', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { service, events } = fake();
    expect(await runService(service, ['--help'])).toBe(0);
    expect(out).toHaveBeenCalledWith('Usage: thurkube fake');
    expect(await runService(service, ['--bad'])).toBe(2);
    expect(err).toHaveBeenCalledWith('thurkube fake: --bad: not a flag\n\nUsage: thurkube fake');
    expect(events).toEqual([]);
  });

  it('exits 1 with the reason when the service cannot start', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { service } = fake({
      start: async () => {
        throw new ThurkubeError('Invalid', 'cannot read kubeconfig /nope');
      },
    });
    expect(await runService(service, [])).toBe(1);
    expect(err).toHaveBeenCalledWith('thurkube fake: cannot read kubeconfig /nope');
  });

  it('runs until SIGTERM, then stops the service gracefully and exits 0', async () => {
    const listeners = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const { service, events } = fake();
    const exit = runService(service, []);
    await vi.waitFor(() => expect(events).toEqual(['started on 1']));
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(events).toEqual(['started on 1', 'stopped']);
    // Nothing left listening: a later Ctrl-C ends the process as usual.
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(listeners);
  });
});
