import { describe, expect, it } from 'vitest';
import type { AgentJob, CoreEvent } from './agentjobs.js';
import { formatWhy } from './why-view.js';

const now = Date.parse('2026-12-02T10:00:00Z');
const aj = (over: Partial<AgentJob['spec']> = {}, status: AgentJob['status'] = {}): AgentJob =>
  ({
    metadata: { name: 'pr-fixer', namespace: 'agents', uid: 'u1', generation: 2 },
    spec: { schedule: '0 */6 * * *', timezone: 'Europe/Paris', suspend: false, ...over },
    status,
  }) as AgentJob;
const event = (
  reason: string,
  message: string,
  at: string,
  kind = 'AgentJob',
  type = 'Warning',
): CoreEvent => ({
  type,
  reason,
  message,
  lastTimestamp: at,
  involvedObject: { kind, name: 'pr-fixer' },
});

describe('why, on one screen', () => {
  it('names what is missing, what to do, the conditions and the events', () => {
    const text = formatWhy(
      {
        aj: aj(
          {},
          {
            phase: 'Pending',
            observedGeneration: 2,
            message: 'AgentRuntime "claude-code" not found in namespace "agents"',
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'RefsMissing',
                message: 'AgentRuntime "claude-code" not found in namespace "agents"',
                lastTransitionTime: '2026-12-02T09:57:00Z',
              },
            ],
          },
        ),
        references: [
          { field: 'runtimeRef', kind: 'AgentRuntime', name: 'claude-code', state: 'missing' },
          {
            field: 'authRef',
            kind: 'AgentAuth',
            name: 'claude-oauth',
            state: 'Secret claude-oauth has no key token',
          },
        ],
        events: [
          event(
            'RefsMissing',
            'AgentRuntime "claude-code" not found in namespace "agents"',
            '2026-12-02T09:57:00Z',
          ),
        ],
      },
      now,
    );
    expect(
      text,
    ).toBe(`AgentJob agents/pr-fixer: Pending: AgentRuntime "claude-code" not found in namespace "agents"
  schedule "0 */6 * * *" (Europe/Paris)
  next step: create AgentRuntime "claude-code" in namespace agents; the AgentJob goes on by itself once it exists

References:
  FIELD        KIND           NAME           STATE
  runtimeRef   AgentRuntime   claude-code    missing
  authRef      AgentAuth      claude-oauth   Secret claude-oauth has no key token

Conditions:
  TYPE    STATUS   REASON        AGE   MESSAGE
  Ready   False    RefsMissing   3m    AgentRuntime "claude-code" not found in namespace "agents"

Last run:
  none yet

Events:
  AGE   TYPE      REASON        OBJECT              MESSAGE
  3m    Warning   RefsMissing   AgentJob/pr-fixer   AgentRuntime "claude-code" not found in namespace "agents"
`);
  });

  it('says when the controller has not caught up with the spec, and how to resume a suspended one', () => {
    const text = formatWhy(
      {
        aj: aj({ suspend: true }, { phase: 'Scheduled', observedGeneration: 1 }),
        references: [],
        events: [],
      },
      now,
    );
    expect(text).toContain('the controller has not seen its latest spec yet (generation 2, observed 1)');
    expect(text).toContain(
      `next step: resume it: kubectl patch agentjob pr-fixer -n agents --type merge -p '{"spec":{"suspend":false}}'`,
    );
    expect(text).toContain('schedule "0 */6 * * *" (Europe/Paris), suspended');
  });

  it('keeps the ten latest events, with their repeat counts', () => {
    const events = Array.from({ length: 12 }, (_, i) =>
      event(`E${i}`, 'm', `2026-12-02T09:${String(10 + i).padStart(2, '0')}:00Z`, 'Pod', 'Normal'),
    );
    events[11] = { ...(events[11] as CoreEvent), count: 3 };
    const text = formatWhy({ aj: aj({}, { phase: 'Scheduled' }), references: [], events }, now);
    expect(text).not.toContain('E1 ');
    expect(text).toContain('E2 ');
    expect(text).toMatch(/E11 .* m \(x3\)$/m);
  });
});
