import { describe, expect, it } from 'vitest';
import { clusterRbacName, clusterRbacTwins } from './names.js';

describe('cluster RBAC names', () => {
  it('lists every other AgentJob whose thurkube-NS-N is the same', () => {
    expect(clusterRbacName('team-prod', 'x')).toBe(clusterRbacName('team', 'prod-x'));
    expect(clusterRbacTwins('team', 'prod-x')).toEqual([{ namespace: 'team-prod', name: 'x' }]);
    expect(clusterRbacTwins('team-prod', 'x')).toEqual([{ namespace: 'team', name: 'prod-x' }]);
    expect(clusterRbacTwins('a', 'b-c-d')).toEqual([
      { namespace: 'a-b', name: 'c-d' },
      { namespace: 'a-b-c', name: 'd' },
    ]);
    expect(clusterRbacTwins('agents', 'summarize')).toEqual([]);
  });
});
