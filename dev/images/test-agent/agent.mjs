// thurkube's test agent runtime: stands in for a real coding agent in the suites. It reads what
// the runtime contract (agent.json in CONFIG_DIR, the token variable, HOME, PERSIST_DIR) says an
// agent gets, checks each part, prints what it found (one JSON line, never the token's value),
// and exits 0 when every check passed, 1 otherwise or when steered to fail:
//   THURKUBE_TEST_OUTCOME=fail    exit 1 after the checks (as kwok's stage does for the same env)
//   THURKUBE_TEST_RUN_FOR=20s     stay running that long first (a Go-style duration: ms, s, m, h)
//   THURKUBE_TEST_TOKEN_ENV=NAME  the token variable to expect (default CLAUDE_CODE_OAUTH_TOKEN)
//   THURKUBE_TEST_RESULT=JSON     written to the termination message file before exiting, as a
//                                 runtime reports its result (docs/run-results.md); the file is
//                                 THURKUBE_TEST_RESULT_FILE, by default the kubelet's /dev/termination-log
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const CONFIG_DIR = env.CONFIG_DIR || '/etc/claude-code-job';
// A directory of the image owned by the agent's user: writable, unless the root is read-only.
const RO_PROBE = env.THURKUBE_TEST_RO_PROBE || '/opt/thurkube-test-agent/rw-if-root-writable';

const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });

function tryWrite(dir) {
  const file = join(dir, `.thurkube-test-agent-${process.pid}`);
  try {
    writeFileSync(file, 'ok');
    const back = readFileSync(file, 'utf8');
    rmSync(file, { force: true });
    return back === 'ok' ? 'writable' : 'read back differs';
  } catch (error) {
    return error.code ?? String(error);
  }
}

function durationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text ?? '');
  if (!m) return 0;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
}

let config;
const configFile = join(CONFIG_DIR, 'agent.json');
try {
  config = JSON.parse(readFileSync(configFile, 'utf8'));
  check('config', config && typeof config === 'object' && !Array.isArray(config), configFile);
} catch (error) {
  check('config', false, `${configFile}: ${error.message}`);
  config = {};
}
const promptFile = join(CONFIG_DIR, 'prompt.txt');
const prompt = existsSync(promptFile) ? readFileSync(promptFile, 'utf8') : config.prompt;
check(
  'prompt',
  typeof prompt === 'string' && prompt.trim() !== '',
  existsSync(promptFile) ? 'prompt.txt' : 'agent.json',
);
check(
  'allowedTools',
  Array.isArray(config.allowedTools) && config.allowedTools.every((t) => typeof t === 'string'),
  config.allowedTools,
);
check(
  'mcpServers',
  Array.isArray(config.mcpServers),
  (config.mcpServers ?? []).map((s) => s.name),
);
check(
  'repositories',
  Array.isArray(config.repositories),
  (config.repositories ?? []).map((r) => `${r.owner}/${r.repo}`),
);

const tokenEnv = env.THURKUBE_TEST_TOKEN_ENV || 'CLAUDE_CODE_OAUTH_TOKEN';
check(
  'token',
  typeof env[tokenEnv] === 'string' && env[tokenEnv] !== '',
  `${tokenEnv} ${env[tokenEnv] ? `set (${env[tokenEnv].length} characters)` : 'missing'}`,
);

const home = env.HOME ? tryWrite(env.HOME) : 'HOME unset';
check('home', home === 'writable', `${env.HOME}: ${home}`);
const root = tryWrite(RO_PROBE);
check('readOnlyRoot', root === 'EROFS', `${RO_PROBE}: ${root}`);

let persist;
if (env.PERSIST_DIR) {
  const log = join(env.PERSIST_DIR, 'thurkube-test-agent.runs');
  try {
    const before = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
    appendFileSync(log, `${new Date().toISOString()} ${env.HOSTNAME ?? ''}\n`);
    persist = { dir: env.PERSIST_DIR, previousRuns: before };
    check('persist', true, `${log}: run ${before + 1}`);
  } catch (error) {
    check('persist', false, `${log}: ${error.code ?? error.message}`);
  }
}

const runFor = durationMs(env.THURKUBE_TEST_RUN_FOR);
if (runFor > 0) await new Promise((resolve) => setTimeout(resolve, runFor));

const failed = checks.filter((c) => !c.ok).map((c) => c.name);
const steeredToFail = env.THURKUBE_TEST_OUTCOME === 'fail';
const report = {
  thurkubeTestAgent: 1,
  ok: failed.length === 0 && !steeredToFail,
  uid: process.getuid?.(),
  gid: process.getgid?.(),
  prompt,
  model: config.model,
  allowedTools: config.allowedTools,
  persist,
  checks,
  failed,
  steeredToFail,
};
console.log(JSON.stringify(report));
// The verdict goes to the same stream as the report, after it: the runtime keeps stdout and stderr
// in two pipes read concurrently, so a line on stderr may land in the log before the report, and
// the last line of the log (what the kubelet keeps and the status quotes) must be the verdict.
if (failed.length > 0) console.log(`thurkube-test-agent: checks failed: ${failed.join(', ')}`);
else if (steeredToFail) console.log('thurkube-test-agent: failing as steered (THURKUBE_TEST_OUTCOME=fail)');
else console.log('thurkube-test-agent: every check passed');
if (env.THURKUBE_TEST_RESULT) {
  try {
    writeFileSync(env.THURKUBE_TEST_RESULT_FILE || '/dev/termination-log', env.THURKUBE_TEST_RESULT);
  } catch (error) {
    console.error(`thurkube-test-agent: could not write the result: ${error.code ?? error.message}`);
  }
}
process.exitCode = report.ok ? 0 : 1;
