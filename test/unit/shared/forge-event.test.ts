import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { pullRequestOfEvent, statusSha } from '../../../shared/forge-event.js';

const MERGE = '1111111111111111111111111111111111111111';
const HEAD = '2222222222222222222222222222222222222222';

function eventFile(payload: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'event-')), 'event.json');
  fs.writeFileSync(file, JSON.stringify(payload));
  return file;
}

describe('the pull request of the event', () => {
  test('GitHub pull_request synchronize', () => {
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile({
        action: 'synchronize',
        number: 12,
        pull_request: {
          number: 12,
          head: { sha: HEAD, repo: { full_name: 'ops/infra' } },
          base: { repo: { full_name: 'ops/infra' } },
        },
      }),
      GITHUB_SHA: MERGE,
    };
    expect(pullRequestOfEvent(env)).toEqual({
      number: 12,
      headSha: HEAD,
      action: 'synchronize',
      fromFork: false,
    });
    expect(statusSha(env)).toBe(HEAD);
  });

  test("Forgejo spells the action 'synchronized'; a fork's head repository is another one", () => {
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile({
        action: 'synchronized',
        number: 4,
        pull_request: {
          number: 4,
          head: { sha: HEAD, repo: { full_name: 'mallory/infra' } },
          base: { repo: { full_name: 'ops/infra' } },
        },
      }),
    };
    expect(pullRequestOfEvent(env)).toEqual({
      number: 4,
      headSha: HEAD,
      action: 'synchronize',
      fromFork: true,
    });
  });

  test('a push is not a pull request: the status goes on GITHUB_SHA', () => {
    const env = {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventFile({ after: HEAD }),
      GITHUB_SHA: MERGE,
    };
    expect(pullRequestOfEvent(env)).toBeUndefined();
    expect(statusSha(env)).toBe(MERGE);
  });

  test('a missing or broken payload, or no sha at all', () => {
    expect(
      pullRequestOfEvent({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/nonexistent' }),
    ).toBeUndefined();
    expect(statusSha({ GITHUB_SHA: 'not-a-sha' })).toBeUndefined();
    expect(statusSha({})).toBeUndefined();
  });
});
