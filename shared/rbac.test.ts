import { describe, expect, it } from 'vitest';
import { firstUncovered, permissionsOf, ruleGrants } from './rbac.js';

describe('RBAC matching, as Kubernetes reads rules', () => {
  const rule = (r: object) => ({ verbs: ['get'], ...r });

  it('matches wildcards of verb, group and resource, and */subresource', () => {
    const p = { verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale' };
    expect(ruleGrants({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, p)).toBe(true);
    expect(ruleGrants(rule({ apiGroups: ['apps'], resources: ['*/scale'] }), p)).toBe(true);
    expect(ruleGrants(rule({ apiGroups: ['apps'], resources: ['deployments'] }), p)).toBe(false);
    expect(ruleGrants(rule({ apiGroups: [''], resources: ['deployments/scale'] }), p)).toBe(false);
    expect(ruleGrants({ verbs: ['list'], apiGroups: ['apps'], resources: ['*'] }, p)).toBe(false);
  });

  it('reads resourceNames as a restriction and URLs with a trailing * as prefixes', () => {
    const named = rule({ apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] });
    expect(ruleGrants(named, { verb: 'get', group: '', resource: 'secrets', name: 'a' })).toBe(true);
    expect(ruleGrants(named, { verb: 'get', group: '', resource: 'secrets', name: 'b' })).toBe(false);
    expect(ruleGrants(named, { verb: 'get', group: '', resource: 'secrets' })).toBe(false);
    expect(ruleGrants(rule({ nonResourceURLs: ['/metrics*'] }), { verb: 'get', path: '/metrics/x' })).toBe(
      true,
    );
    expect(ruleGrants(rule({ nonResourceURLs: ['/healthz'] }), { verb: 'get', path: '/livez' })).toBe(false);
  });

  it('finds the first permission a wider rule list adds, and none for a narrower one', () => {
    const held = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }];
    expect(firstUncovered([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], held)).toBeUndefined();
    expect(
      firstUncovered([{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }], held),
    ).toEqual({
      rule: 0,
      permission: { verb: 'delete', group: '', resource: 'pods' },
    });
    // A wildcard asked for is covered only by a wildcard held.
    expect(firstUncovered([{ verbs: ['get'], apiGroups: [''], resources: ['*'] }], held)?.permission).toEqual(
      {
        verb: 'get',
        group: '',
        resource: '*',
      },
    );
  });

  it('expands every verb, group, resource and name of a rule', () => {
    const granted = permissionsOf([
      { verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods/log'], resourceNames: ['x'] },
    ]);
    expect(granted).toHaveLength(4);
    expect(granted[0]).toEqual({
      rule: 0,
      permission: { verb: 'get', group: '', resource: 'pods', subresource: 'log', name: 'x' },
    });
  });
});
