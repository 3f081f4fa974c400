import { describe, expect, it } from 'vitest';
import { bounded, lastLine, maskSecrets, oneLine, parseTerminationMessage } from './results.js';

describe('the termination message', () => {
  it('reads a JSON object as the run outputs, keeping only values of the right type', () => {
    const message = JSON.stringify({
      summary: '  Opened one pull request.  ',
      pullRequests: ['https://github.com/o/r/pull/1', 'ftp://x', 42],
      costUsd: 1.25,
      inputTokens: 10,
      outputTokens: -1,
      branch: 'fix-1',
      attempts: 3,
      'bad key!': 'x',
    });
    expect(parseTerminationMessage(message)).toEqual({
      outputs: {
        summary: 'Opened one pull request.',
        pullRequests: ['https://github.com/o/r/pull/1'],
        costUsd: 1.25,
        inputTokens: 10,
        branch: 'fix-1',
      },
    });
  });

  it('treats anything else as text: a log tail, broken JSON, a JSON list', () => {
    expect(parseTerminationMessage('npm ERR! code 1\n')).toEqual({ text: 'npm ERR! code 1' });
    expect(parseTerminationMessage('{"summary": "cut by the kubelet at 4 KiB')).toEqual({
      text: '{"summary": "cut by the kubelet at 4 KiB',
    });
    expect(parseTerminationMessage('[1,2]')).toEqual({ text: '[1,2]' });
    expect(parseTerminationMessage('   ')).toEqual({});
    expect(parseTerminationMessage(undefined)).toEqual({});
  });

  it('bounds every field: a long summary, many pull requests, many other keys', () => {
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    const { outputs } = parseTerminationMessage(
      JSON.stringify({
        summary: 's'.repeat(5000),
        pullRequests: Array.from({ length: 50 }, (_, i) => `https://github.com/o/r/pull/${i}`),
        ...extra,
      }),
    );
    expect(Array.from(outputs?.summary ?? '')).toHaveLength(1024);
    expect(outputs?.pullRequests).toHaveLength(20);
    const others = Object.keys(outputs ?? {}).filter((k) => k.startsWith('k'));
    expect(others).toHaveLength(16);
    expect(String(outputs?.k0).length).toBe(256);
  });

  it('masks strings shaped like credentials in outputs', () => {
    const { outputs } = parseTerminationMessage(
      JSON.stringify({
        summary: 'used ghp_0123456789abcdefghijklmnopqrstuvwxyz to push',
        key: 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz',
      }),
    );
    expect(outputs).toEqual({ summary: 'used [redacted] to push', key: '[redacted]' });
  });
});

describe('text for a person', () => {
  it('takes the last line that says something', () => {
    expect(lastLine('one\ntwo\n\n  \n')).toBe('two');
    expect(lastLine('\n\n')).toBeUndefined();
  });

  it('flattens control characters and masks credentials', () => {
    expect(oneLine('a\tb\u0007c\r\nd')).toBe('a b c d');
    expect(maskSecrets('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer [redacted]');
    expect(maskSecrets('GITHUB_TOKEN=github_pat_11ABCDEFGHIJKLMNOPQRST_uvwxyz')).toBe(
      'GITHUB_TOKEN=[redacted]',
    );
    expect(maskSecrets('password: hunter22 and AKIAABCDEFGHIJKLMNOP')).toBe(
      'password: [redacted] and [redacted]',
    );
  });

  it('cuts at a character count without splitting an emoji', () => {
    expect(bounded('ab😀cd', 4)).toBe('ab😀…');
    expect(bounded('short', 10)).toBe('short');
  });
});
