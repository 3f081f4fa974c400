/**
 * The image's entry point without Docker: the build script compiles to a directory, and the
 * compiled CLI runs on this Node (20 in CI, 24 in the image) with the same output as from source.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMISSION_NODE_OPTIONS,
  CONTROLLER_NODE_OPTIONS,
  CONTROLLER_V8_FLAGS,
  compiledEnv,
  IMAGE_NODE_OPTIONS,
} from '../dev/cluster/services.js';
import { imageNode } from '../dev/images/node-binary.js';
import { allCrdsYaml } from '../shared/crd/yaml.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside node_modules, so that the compiled files resolve the packages exactly as dist/ does.
const out = join(root, 'node_modules', '.cache', `thurkube-build-test-${process.pid}`);
const cli = join(out, 'cmd', 'thurkube.js');
const node = (args: string[]) => run(process.execPath, [cli, ...args], { cwd: root });

beforeAll(async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  // The very command of `npm run build`, only with another output directory.
  const [bin, ...args] = (pkg.scripts.build ?? '').split(' ');
  expect(bin).toBe('tsc');
  await run(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), ...args, '--outDir', out],
    {
      cwd: root,
    },
  );
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the compiled CLI', () => {
  it('prints the eight CRDs with `thurkube crd`, byte for byte as from source', async () => {
    const { stdout } = await node(['crd']);
    expect(stdout).toBe(allCrdsYaml());
    expect(stdout.match(/^kind: CustomResourceDefinition$/gm)).toHaveLength(8);
  });

  it('answers --crd as crd and --version with the package version (flags of the Rust original)', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect((await node(['--crd'])).stdout).toBe(allCrdsYaml());
    expect((await node(['--version'])).stdout).toBe(`thurkube ${pkg.version}\n`);
  });

  it('runs each service with the Node options and V8 flags the image and the chart give it (NODE_OPTIONS takes only some V8 flags)', async () => {
    for (const command of ['controller', 'admission'] as const) {
      const env = compiledEnv(command);
      expect(env.NODE_OPTIONS).toBe(
        command === 'controller' ? CONTROLLER_NODE_OPTIONS : ADMISSION_NODE_OPTIONS,
      );
      const { stdout, stderr } = await run(process.execPath, [cli, command, '--help'], { cwd: root, env });
      expect(stdout).toContain(`thurkube ${command}`);
      // V8 names a flag it does not know on stderr; the chart's are all known.
      expect(stderr).toBe('');
    }
    expect(compiledEnv('controller').THURKUBE_V8_FLAGS).toBe(CONTROLLER_V8_FLAGS);
  });

  it("leaves the controller's code unoptimised with the chart's V8 flags, on this Node and on the image's", async () => {
    // A hot function after the compiled flag setter ran: V8's own optimisation status of it
    // (bit 4: optimised, by TurboFan or Maglev). Node 22 and later optimise with Maglev, which
    // --no-opt alone leaves on (10 MiB more at 1,000 AgentJobs on Node 24).
    const probe = `
      import { applyV8Flags } from ${JSON.stringify(join(out, 'shared', 'service', 'v8-flags.js'))};
      applyV8Flags();
      const status = new Function('f', 'return %GetOptimizationStatus(f)');
      function hot(x) { let s = 0; for (let i = 0; i < 100; i++) s += i * x; return s; }
      for (let i = 0; i < 200000; i++) hot(i);
      console.log((status(hot) & (1 << 4)) !== 0 ? 'optimised' : 'not optimised');`;
    const optimised = async (bin: string, flags: string) =>
      (
        await run(bin, ['--allow-natives-syntax', '--input-type=module', '-e', probe], {
          cwd: root,
          env: { ...process.env, THURKUBE_V8_FLAGS: flags },
        })
      ).stdout.trim();
    for (const bin of [process.execPath, await imageNode()]) {
      expect(await optimised(bin, CONTROLLER_V8_FLAGS), bin).toBe('not optimised');
      expect(await optimised(bin, ''), bin).toBe('optimised');
    }
  }, 120_000);

  it('refuses a THURKUBE_V8_FLAGS that is not a list of flags, before starting anything', async () => {
    const failed = await run(process.execPath, [cli, 'controller', '--kubeconfig', '/nonexistent'], {
      cwd: root,
      env: { ...process.env, THURKUBE_V8_FLAGS: '--no-opt optimize-for-size' },
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain(
      'thurkube controller: THURKUBE_V8_FLAGS: "optimize-for-size" is not a V8 flag',
    );
  });

  it('knows the controller and admission commands', async () => {
    const top = await node(['--help']);
    expect(top.stdout).toMatch(/^ {2}controller /m);
    expect(top.stdout).toMatch(/^ {2}admission /m);
    for (const command of ['controller', 'admission']) {
      const { stdout } = await node([command, '--help']);
      expect(stdout).toContain(`thurkube ${command}`);
    }
    // Three processes that load the compiled services: seconds on a loaded 2-core machine.
  }, 30_000);

  it('includes the kubectl plugin, which runs compiled on this Node', async () => {
    const { stdout } = await run(process.execPath, [join(out, 'cmd', 'kubectl-thurkube.js'), '--help'], {
      cwd: root,
    });
    expect(stdout).toContain('Usage: kubectl thurkube <command> [NAME] [options]');
  });

  it('is what the Dockerfile runs', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('exec node --enable-source-maps /app/dist/cmd/thurkube.js');
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["thurkube"\]$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-/m);
    // The benchmarks measure the compiled services with the image's Node options.
    expect(dockerfile).toMatch(new RegExp(`^ENV NODE_OPTIONS=${IMAGE_NODE_OPTIONS}$`, 'm'));
  });
});
