import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/log.js';
import { FakeApi, type Received, statusAnswer } from '../test/fixtures/fake-api.js';
import { EventRecorder } from './events.js';

const EVENTS = '/apis/events.k8s.io/v1/namespaces/agents/events';
const target = { name: 'pr-fixer', namespace: 'agents', uid: 'uid-1', resourceVersion: '42' };

/** A logger whose JSON lines the test reads. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: createLogger('controller', 'info', stream), lines };
}

const created = (request: Received) => ({ status: 201, body: request.body });

describe('EventRecorder', () => {
  it('writes an events.k8s.io/v1 Event regarding the AgentJob, from this controller and replica', async () => {
    const api = new FakeApi().expect('POST', EVENTS, { answer: created });
    const events = new EventRecorder(
      api.client,
      'thurkube.thurbeen.eu/controller',
      'replica-1',
      capturedLogger().log,
    );
    events.record(target, 'Normal', 'RunStarted', 'Job pr-fixer-0123456789abcdef started', 'Run');
    await api.done();
    const body = api.received[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'agents' },
      type: 'Normal',
      reason: 'RunStarted',
      action: 'Run',
      note: 'Job pr-fixer-0123456789abcdef started',
      reportingController: 'thurkube.thurbeen.eu/controller',
      reportingInstance: 'replica-1',
      regarding: {
        apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
        kind: 'AgentJob',
        name: 'pr-fixer',
        namespace: 'agents',
        uid: 'uid-1',
        resourceVersion: '42',
      },
    });
    expect((body.metadata as { name: string }).name).toMatch(/^pr-fixer\.[0-9a-f]{16}$/);
    expect(body.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}000Z$/);
    api.verify();
  });

  it('writes the same reason and note for the same AgentJob once per window, and a new note again', async () => {
    const api = new FakeApi()
      .expect('POST', EVENTS, { answer: created })
      .expect('POST', EVENTS, { answer: created });
    const events = new EventRecorder(api.client, 'c', 'r', capturedLogger().log);
    events.record(target, 'Warning', 'RefsMissing', 'AgentRole "x" not found');
    events.record(target, 'Warning', 'RefsMissing', 'AgentRole "x" not found');
    // Another read of the same AgentJob (same uid, newer resourceVersion): still the same event.
    events.record({ ...target, resourceVersion: '43' }, 'Warning', 'RefsMissing', 'AgentRole "x" not found');
    events.record(target, 'Warning', 'RefsMissing', 'AgentRole "y" not found');
    await api.done();
    expect(api.received.map((r) => (r.body as { note: string }).note)).toEqual([
      'AgentRole "x" not found',
      'AgentRole "y" not found',
    ]);
    api.verify();
  });

  it('cuts a note to the 1024 characters the API allows', async () => {
    const api = new FakeApi().expect('POST', EVENTS, { answer: created });
    new EventRecorder(api.client, 'c', 'r', capturedLogger().log).record(
      target,
      'Warning',
      'ChildRejected',
      'x'.repeat(5000),
    );
    await api.done();
    expect((api.received[0]?.body as { note?: string } | undefined)?.note).toHaveLength(1024);
    api.verify();
  });

  it('never fails the caller when the write fails: it logs a warning naming the AgentJob', async () => {
    const api = new FakeApi().expect('POST', EVENTS, {
      answer: statusAnswer(403, 'Forbidden', 'events is forbidden'),
    });
    const { log, lines } = capturedLogger();
    new EventRecorder(api.client, 'c', 'r', log).record(target, 'Normal', 'Applied', 'applied ConfigMap');
    await api.done();
    const deadline = Date.now() + 2000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(lines).toMatchObject([
      {
        level: 'warn',
        msg: 'could not record event',
        reason: 'Applied',
        agentJob: 'agents/pr-fixer',
        err: 'events is forbidden',
      },
    ]);
    api.verify();
  });
});
