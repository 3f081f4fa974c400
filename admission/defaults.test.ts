import { describe, expect, it } from 'vitest';
import { KINDS } from '../shared/kinds.js';
import { parseSpec } from '../shared/objects.js';
import { example } from '../test/fixtures/load.js';
import { withDefaults } from './defaults.js';

describe('withDefaults', () => {
  it('adds exactly the defaults the schema parses in, without dropping fields the schema does not know', () => {
    const raw = { ...example('AgentJob', 'minimal').spec, timezone: 'Asia/Tokyo', futureField: { a: 1 } };
    const parsed = parseSpec('AgentJob', raw);
    if (!parsed.ok) throw new Error('the minimal example must parse');
    const filled = withDefaults(KINDS.AgentJob.spec, raw);
    // Fields added later have implicit defaults: parsed in, never written (CrdHints.implicitDefault).
    const { concurrencyPolicy, successfulRunsHistoryLimit, failedRunsHistoryLimit, retries, ...stored } =
      parsed.value;
    expect({ concurrencyPolicy, successfulRunsHistoryLimit, failedRunsHistoryLimit, retries }).toEqual({
      concurrencyPolicy: 'Forbid',
      successfulRunsHistoryLimit: 3,
      failedRunsHistoryLimit: 3,
      retries: 0,
    });
    expect(filled).toEqual({ ...stored, futureField: { a: 1 } });
    expect(filled).toMatchObject({ timezone: 'Asia/Tokyo', suspend: false, timeoutSeconds: 3600 });
  });
});
