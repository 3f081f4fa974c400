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
    expect(filled).toEqual({ ...parsed.value, futureField: { a: 1 } });
    expect(filled).toMatchObject({ timezone: 'Asia/Tokyo', suspend: false, timeoutSeconds: 3600 });
  });
});
