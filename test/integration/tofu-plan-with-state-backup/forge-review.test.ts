import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ActionRun } from '../../support/run-action.js';
import {
  forgeEnv,
  startForgejoApi,
  type ForgejoStandin,
  type StandinIssue,
} from '../../support/standins/forgejo-api/server.js';
import {
  CANARY,
  STACK_TF,
  archivesIn,
  canaryLeaks,
  setupEnv,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * The forge side of tofu, with the real tofu (or terraform) against the forge API stand-in: the pull
 * request plan comment (created once, updated in place, never duplicated, cut below GitHub's limit),
 * require-approved-plan (the reviewed plan applies, a plan changed after review is refused with the
 * state untouched), the drift issue (opened, updated, closed), forge failures as one warning each,
 * and neither the forge token nor the stack's secret in any channel or request.
 */
const TOKEN = 'fj_CANARYtofuforge5e4d3c2b1a0f9e8d7c6b5a4f3e2d';
const H1 = '1111111111111111111111111111111111111111';
const H2 = '2222222222222222222222222222222222222222';
const M5 = '5555555555555555555555555555555555555555';
const H6 = '6666666666666666666666666666666666666666';
const M6 = '6060606060606060606060606060606060606060';
const H12 = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
const M12 = 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1';

let env: Env;
let ws: string;
let stack: string;
let statePath: string;
let vars: Record<'h1' | 'h2' | 'h3', string>;
const apis: ForgejoStandin[] = [];

beforeAll(() => {
  env = setupEnv('tofu-forge');
  ws = env.workspace({ 'infra/edge/main.tf': STACK_TF });
  stack = path.join(ws, 'infra', 'edge');
  statePath = path.join(env.runnerHome, 'infra', 'state', 'edge', 'terraform.tfstate');
  vars = {
    h1: env.varFile('h1.tfvars', 'h1'),
    h2: env.varFile('h2.tfvars', 'h2'),
    h3: env.varFile('h3.tfvars', 'h3'),
  };
});
afterAll(async () => {
  for (const a of apis) await a.stop();
  env.cleanup();
});

function pull(number: number, headSha: string): StandinIssue {
  return {
    number,
    title: `change ${number}`,
    body: '',
    state: 'open',
    author: 'dev',
    labels: [],
    pull: { merged: false, head_sha: headSha },
  };
}

function merge(api: ForgejoStandin, number: number, sha: string): void {
  const pr = api.issues.find((i) => i.number === number)!;
  pr.state = 'closed';
  pr.pull = { ...pr.pull!, merged: true, merge_commit_sha: sha };
}

let events = 0;
/** The runner environment of one job: event payload, commit, and the forge (job token on Forgejo). */
function jobEnv(
  api: ForgejoStandin,
  o: { event: 'pull_request' | 'push' | 'schedule'; sha: string; pr?: number; fork?: boolean },
): Record<string, string> {
  const file = path.join(env.root, `event-${++events}.json`);
  const payload =
    o.event === 'pull_request'
      ? {
          action: api.flavour === 'forgejo' ? 'synchronized' : 'synchronize',
          number: o.pr,
          pull_request: {
            number: o.pr,
            head: { sha: o.sha, repo: { full_name: o.fork ? 'someone/infra' : 'ops/infra' } },
            base: { repo: { full_name: 'ops/infra' } },
          },
        }
      : { ref: 'refs/heads/main', after: o.sha };
  fs.writeFileSync(file, JSON.stringify(payload));
  const out: Record<string, string> = {
    GITHUB_EVENT_NAME: o.event,
    GITHUB_EVENT_PATH: file,
    GITHUB_SHA: o.sha,
    ...(api.flavour === 'forgejo' ? { FORGEJO_TOKEN: TOKEN } : {}),
  };
  for (const [k, v] of Object.entries(forgeEnv(api))) if (v !== undefined) out[k] = v;
  return out;
}

async function run(
  api: ForgejoStandin,
  inputs: Record<string, string>,
  job: Parameters<typeof jobEnv>[1],
): Promise<ActionRun> {
  return env.run(
    {
      'working-directory': stack,
      'state-path': statePath,
      ...(api.flavour === 'github' ? { 'forge-token': TOKEN } : {}),
      ...inputs,
    },
    { workspace: ws, forge: api.flavour, env: jobEnv(api, job) },
  );
}

const warnings = (r: ActionRun) => r.log.split('\n').filter((l) => l.startsWith('::warning'));
const marked = (api: ForgejoStandin, issue: number) =>
  api.comments.filter(
    (c) => c.issue === issue && c.body.includes('<!-- edge-actions:tofu-plan:infra/edge -->'),
  );
const stateBytes = () => fs.readFileSync(statePath);
/** What the report records of the forge writes for the (only) stack. */
const forgeRecord = (r: ActionRun) =>
  ((r.report?.result as { stacks?: { forge?: unknown }[] } | undefined)?.stacks ?? [])[0]?.forge;

/** Neither the token nor the stack's sensitive value anywhere: channels, files, argv, API requests. */
function expectNoLeaks(api: ForgejoStandin): void {
  expect(canaryLeaks(env.runs, env.recorder, [TOKEN, CANARY])).toEqual([]);
  for (const r of api.requests) {
    expect(r.body).not.toContain(TOKEN);
    expect(r.body).not.toContain(CANARY);
    expect(r.path).not.toContain(TOKEN);
  }
}

const LIMIT = 300_000;

describe('Forgejo: plan comment, reviewed apply, drift issue', () => {
  let api: ForgejoStandin;
  beforeAll(async () => {
    api = await startForgejoApi({
      token: TOKEN,
      repository: 'ops/infra',
      issues: [pull(5, H1), pull(6, H6), pull(12, H12)],
    });
    apis.push(api);
  });

  test(
    'the plan comment is created once, then updated in place on the next push',
    async () => {
      const first = await run(
        api,
        { mode: 'plan', 'var-files': vars.h1 },
        { event: 'pull_request', sha: H1, pr: 5 },
      );
      expect(first.exitCode).toBe(0);
      expect(warnings(first)).toEqual([]);
      expect(marked(api, 5)).toHaveLength(1);
      const c = marked(api, 5)[0];
      expect(c.author).toBe('forgejo-actions');
      expect(c.body).toContain('**+1 ~0 -0**');
      expect(c.body).toContain('`terraform_data.host`');
      expect(c.body).toContain('<details><summary>Plan text</summary>');
      expect(c.body).toContain('+ input  = "h1"');
      // The sensitive variable is shown as tofu shows it.
      expect(c.body).toContain('(sensitive value)');
      expect(forgeRecord(first)).toEqual({ comment: { pullRequest: 5, action: 'created' } });

      const second = await run(
        api,
        { mode: 'plan', 'var-files': vars.h2 },
        { event: 'pull_request', sha: H2, pr: 5 },
      );
      expect(second.exitCode).toBe(0);
      expect(marked(api, 5)).toHaveLength(1);
      expect(marked(api, 5)[0].id).toBe(c.id);
      expect(marked(api, 5)[0].body).toContain('+ input  = "h2"');
      expect(marked(api, 5)[0].body).toContain(H2.slice(0, 12));
      expect(forgeRecord(second)).toEqual({ comment: { pullRequest: 5, action: 'updated' } });
      expect(
        api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/5/comments')),
      ).toHaveLength(1);
      expect(
        api.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/issues/comments/')),
      ).toHaveLength(1);
    },
    LIMIT,
  );

  test(
    'require-approved-plan: the reviewed plan (planned again, new timestamp) is applied',
    async () => {
      merge(api, 5, M5);
      const r = await run(
        api,
        { mode: 'apply', 'require-approved-plan': 'true', 'var-files': vars.h2 },
        { event: 'push', sha: M5 },
      );
      expect(r.exitCode).toBe(0);
      expect(r.outputs['to-add']).toBe('1');
      expect(r.log).toMatch(/The plan of infra\/edge is the one reviewed on pull request #5/);
      expect(JSON.parse(stateBytes().toString()).resources[0].instances[0].attributes.input.value).toBe('h2');
    },
    LIMIT,
  );

  test(
    'require-approved-plan: a plan changed after review is refused, nothing backed up or applied',
    async () => {
      const reviewed = await run(
        api,
        { mode: 'plan', 'var-files': vars.h1 },
        { event: 'pull_request', sha: H6, pr: 6 },
      );
      expect(reviewed.exitCode).toBe(0);
      expect(marked(api, 6)).toHaveLength(1);
      merge(api, 6, M6);
      const before = stateBytes();
      const archives = archivesIn(path.join(path.dirname(statePath), 'backups'));
      // The runner's var file changed after the review: another plan.
      const r = await run(
        api,
        { mode: 'apply', 'require-approved-plan': 'true', 'var-files': vars.h3 },
        { event: 'push', sha: M6 },
      );
      expect(r.exitCode).toBe(1);
      expect(r.outputs['failure-reason']).toBe('plan-changed');
      expect(r.log).toMatch(/differs from the one reviewed on pull request #6/);
      expect(stateBytes().equals(before)).toBe(true);
      expect(archivesIn(path.join(path.dirname(statePath), 'backups'))).toEqual(archives);
      expect(r.log).not.toMatch(/apply -input=false/);
    },
    LIMIT,
  );

  test(
    'require-approved-plan: a commit that no pull request was merged as is refused (plan-unverified)',
    async () => {
      const before = stateBytes();
      const r = await run(
        api,
        { mode: 'apply', 'require-approved-plan': 'true', 'var-files': vars.h1 },
        { event: 'push', sha: 'abababababababababababababababababababab' },
      );
      expect(r.exitCode).toBe(1);
      expect(r.outputs['failure-reason']).toBe('plan-unverified');
      expect(stateBytes().equals(before)).toBe(true);
    },
    LIMIT,
  );

  test(
    'the drift issue is opened, updated by the next drifting run, closed by a run without drift',
    async () => {
      const issuesBefore = api.issues.length;
      const d1 = await run(
        api,
        { mode: 'drift', 'drift-issue': 'true', 'var-files': vars.h1 },
        { event: 'schedule', sha: M6 },
      );
      expect(d1.exitCode).toBe(1);
      expect(d1.outputs['failure-reason']).toBe('drift-detected');
      expect(api.issues).toHaveLength(issuesBefore + 1);
      const issue = api.issues[api.issues.length - 1];
      expect(issue).toMatchObject({
        title: 'Drift detected in OpenTofu stack infra/edge',
        state: 'open',
        author: 'forgejo-actions',
      });
      expect(issue.body).toContain('**+0 ~1 -0**');
      expect(issue.body).toContain('"h2" -> "h1"');
      expect(forgeRecord(d1)).toEqual({ driftIssue: { action: 'opened', number: issue.number } });

      const d2 = await run(
        api,
        { mode: 'drift', 'drift-issue': 'true', 'var-files': vars.h3 },
        { event: 'schedule', sha: M6 },
      );
      expect(d2.exitCode).toBe(1);
      expect(api.issues).toHaveLength(issuesBefore + 1);
      expect(issue.body).toContain('"h2" -> "h3"');
      expect(forgeRecord(d2)).toEqual({ driftIssue: { action: 'updated', number: issue.number } });

      const d3 = await run(
        api,
        { mode: 'drift', 'drift-issue': 'true', 'var-files': vars.h2 },
        { event: 'schedule', sha: M6 },
      );
      expect(d3.exitCode).toBe(0);
      expect(issue.state).toBe('closed');
      expect(forgeRecord(d3)).toEqual({ driftIssue: { action: 'closed', number: issue.number } });
      expect(api.comments.filter((c) => c.issue === issue.number).map((c) => c.body)).toEqual([
        expect.stringMatching(/^A drift run found no drift in `infra\/edge`/),
      ]);
      expect(api.issues).toHaveLength(issuesBefore + 1);
    },
    LIMIT,
  );

  test(
    'forge failures: API 500 on comments and 403 on issues keep the result, one warning each',
    async () => {
      api.faults.push({ path: /\/issues\/5\/comments$/, status: 500, body: { message: 'boom', url: '' } });
      const plan = await run(
        api,
        { mode: 'plan', 'var-files': vars.h2 },
        { event: 'pull_request', sha: H2, pr: 5 },
      );
      expect(plan.exitCode).toBe(0);
      expect(warnings(plan)).toHaveLength(1);
      expect(warnings(plan)[0]).toMatch(/The plan comment skipped: .*HTTP 500/);
      api.faults.length = 0;

      api.faults.push({
        method: 'POST',
        path: /\/issues$/,
        status: 403,
        body: { message: 'forbidden', url: '' },
      });
      const drift = await run(
        api,
        { mode: 'drift', 'drift-issue': 'true', 'var-files': vars.h1 },
        { event: 'schedule', sha: M6 },
      );
      expect(drift.exitCode).toBe(1);
      expect(drift.outputs['failure-reason']).toBe('drift-detected');
      expect(warnings(drift)).toHaveLength(1);
      expect(warnings(drift)[0]).toMatch(/The drift issue skipped: .*HTTP 403/);
      api.faults.length = 0;
    },
    LIMIT,
  );

  test(
    'require-approved-plan with a saved plan: the plan saved on the pull request is the reviewed one',
    async () => {
      const planFile = path.join(env.runnerHome, 'infra', 'plans', 'edge-pr12.tfplan');
      const reviewed = await run(
        api,
        { mode: 'plan', 'var-files': vars.h1, 'plan-file': planFile },
        { event: 'pull_request', sha: H12, pr: 12 },
      );
      expect(reviewed.exitCode).toBe(0);
      expect(marked(api, 12)).toHaveLength(1);
      merge(api, 12, M12);
      const r = await run(
        api,
        { mode: 'apply', 'require-approved-plan': 'true', 'var-files': vars.h1, 'plan-file': planFile },
        { event: 'push', sha: M12 },
      );
      expect(r.exitCode).toBe(0);
      expect(r.log).toMatch(/is the one reviewed on pull request #12/);
      expect(JSON.parse(stateBytes().toString()).resources[0].instances[0].attributes.input.value).toBe('h1');
    },
    LIMIT,
  );

  test('neither the token nor the stack secret leaks', () => {
    expectNoLeaks(api);
  });
});

describe('GitHub: plan comment cut below the 65,536-character limit, fork pull request', () => {
  let api: ForgejoStandin;
  let big: string;
  let bigState: string;
  beforeAll(async () => {
    api = await startForgejoApi({
      token: TOKEN,
      repository: 'ops/infra',
      flavour: 'github',
      userEndpoint: 'refuse',
      issues: [pull(9, H1), pull(13, H2)],
    });
    apis.push(api);
    // 600 resources with long inputs: a plan text far beyond one comment.
    big = path.join(ws, 'infra', 'big');
    fs.mkdirSync(big, { recursive: true });
    fs.writeFileSync(
      path.join(big, 'main.tf'),
      `resource "terraform_data" "many" {\n  count = 600\n  input = "${'x'.repeat(120)}-\${count.index}"\n}\n`,
    );
    bigState = path.join(env.runnerHome, 'infra', 'state', 'big', 'terraform.tfstate');
  });

  test(
    'one comment, within the limit, with the truncation note',
    async () => {
      const r = await run(
        api,
        { mode: 'plan', 'working-directory': big, 'state-path': bigState },
        { event: 'pull_request', sha: H1, pr: 9 },
      );
      expect(r.exitCode).toBe(0);
      expect(warnings(r)).toEqual([]);
      const comments = api.comments.filter((c) => c.issue === 9);
      expect(comments).toHaveLength(1);
      expect(comments[0].author).toBe('github-actions[bot]');
      expect(comments[0].body.length).toBeLessThanOrEqual(65_536);
      expect(comments[0].body).toMatch(/\*\*\+600 ~0 -0\*\*/);
      expect(comments[0].body).toMatch(
        /> \*\*Truncated\*\*: [\d,]+ of [\d,]+ characters of the plan text did not fit/,
      );
      expect(comments[0].body).toContain('- … and 570 more');
      expect(comments[0].body.endsWith('<!-- edge-actions:tofu-plan:infra/big -->')).toBe(true);
    },
    LIMIT,
  );

  test(
    'require-approved-plan on GitHub: the merged pull request found through commits/{sha}/pulls',
    async () => {
      const ghState = path.join(env.runnerHome, 'infra', 'state', 'edge-gh', 'terraform.tfstate');
      const reviewed = await run(
        api,
        { mode: 'plan', 'var-files': vars.h2, 'state-path': ghState },
        { event: 'pull_request', sha: H2, pr: 13 },
      );
      expect(reviewed.exitCode).toBe(0);
      expect(marked(api, 13)).toHaveLength(1);
      merge(api, 13, M12);
      const r = await run(
        api,
        { mode: 'apply', 'require-approved-plan': 'true', 'var-files': vars.h2, 'state-path': ghState },
        { event: 'push', sha: M12 },
      );
      expect(r.exitCode).toBe(0);
      expect(r.log).toMatch(/is the one reviewed on pull request #13/);
      expect(api.requests.some((q) => q.path.startsWith(`/repos/ops/infra/commits/${M12}/pulls`))).toBe(true);
      expect(fs.existsSync(ghState)).toBe(true);
      expectNoLeaks(api);
    },
    LIMIT,
  );

  test(
    'a pull request from a fork (read-only token): one warning, the plan still succeeds',
    async () => {
      const ro = await startForgejoApi({
        token: TOKEN,
        repository: 'ops/infra',
        flavour: 'github',
        readOnly: true,
        issues: [pull(11, H2)],
      });
      apis.push(ro);
      const r = await run(
        ro,
        { mode: 'plan', 'var-files': vars.h2 },
        { event: 'pull_request', sha: H2, pr: 11, fork: true },
      );
      expect(r.exitCode).toBe(0);
      expect(warnings(r)).toHaveLength(1);
      expect(warnings(r)[0]).toMatch(/HTTP 403.*comes from a fork/);
      expect(ro.comments).toEqual([]);
      expectNoLeaks(ro);
    },
    LIMIT,
  );
});
