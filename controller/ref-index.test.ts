import { describe, expect, it } from 'vitest';
import { ReferenceIndex } from './ref-index.js';

const spec = {
  runtimeRef: 'claude-code',
  authRef: 'oauth',
  roleRef: 'read-only',
  mcpServerRefs: ['docs', 'docs', 'search'],
  repositoryRefs: ['app'],
};

describe('ReferenceIndex', () => {
  it('names every AgentJob that refers to an object, once, by kind and namespace', () => {
    const index = new ReferenceIndex();
    index.set('agents/a', 'agents', spec);
    index.set('agents/b', 'agents', { ...spec, roleRef: 'writer', mcpServerRefs: [] });
    index.set('other/a', 'other', spec);
    expect(index.usersOf('AgentRuntime', 'agents', 'claude-code').sort()).toEqual(['agents/a', 'agents/b']);
    expect(index.usersOf('AgentRole', 'agents', 'read-only')).toEqual(['agents/a']);
    expect(index.usersOf('McpServer', 'agents', 'docs')).toEqual(['agents/a']);
    expect(index.usersOf('McpServer', 'other', 'search')).toEqual(['other/a']);
    // Same name, another kind: not a user.
    expect(index.usersOf('AgentAuth', 'agents', 'claude-code')).toEqual([]);
  });

  it('indexes objects that do not exist yet, so creating one wakes the AgentJobs waiting for it', () => {
    const index = new ReferenceIndex();
    index.set('agents/a', 'agents', { runtimeRef: 'not-yet', clusterAccessRef: 'later' });
    expect(index.usersOf('AgentRuntime', 'agents', 'not-yet')).toEqual(['agents/a']);
    expect(index.usersOf('ClusterAccess', 'agents', 'later')).toEqual(['agents/a']);
  });

  it('replaces what an AgentJob referred to when its spec changes, and forgets it when removed', () => {
    const index = new ReferenceIndex();
    index.set('agents/a', 'agents', spec);
    index.set('agents/a', 'agents', { ...spec, roleRef: 'writer' });
    expect(index.usersOf('AgentRole', 'agents', 'read-only')).toEqual([]);
    expect(index.usersOf('AgentRole', 'agents', 'writer')).toEqual(['agents/a']);
    index.set('agents/a', 'agents', undefined);
    expect(index.usersOf('AgentRole', 'agents', 'writer')).toEqual([]);
    index.set('agents/a', 'agents', spec);
    index.remove('agents/a');
    expect(index.usersOf('AgentRuntime', 'agents', 'claude-code')).toEqual([]);
    index.remove('agents/never-seen');
  });
});
