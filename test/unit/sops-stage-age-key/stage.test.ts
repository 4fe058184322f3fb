import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { ActionError, InputError } from '../../../shared/errors.js';
import type { ActionContext } from '../../../shared/run.js';
import { stageAgeKey, type StageSettings } from '../../../actions/sops-stage-age-key/src/stage.js';
import type {
  TargetClientFactory,
  TargetSettings,
} from '../../../actions/sops-stage-age-key/src/ssh-target.js';
import { cleanupRunner } from '../../../actions/sops-stage-age-key/src/cleanup.js';

/** Orchestration with a fake context and a fake target client: what is called, in which order, with what. */
class FakeContext {
  outputs: Record<string, string> = {};
  state: Record<string, string> = {};
  steps: string[] = [];
  skipped: string[] = [];
  warnings: string[] = [];
  results: Record<string, unknown> = {};
  constructor(readonly workspace: string) {}
  asContext(): ActionContext {
    return {
      action: 'sops-stage-age-key',
      platform: { workspace: this.workspace } as ActionContext['platform'],
      inputs: () => {
        throw new Error('not used');
      },
      step: async (name, fn) => {
        this.steps.push(name);
        return fn();
      },
      skip: (name) => void this.skipped.push(name),
      result: (v) => void Object.assign(this.results, v),
      output: (n, v) => void (this.outputs[n] = String(v)),
      saveState: (n, v) => void (this.state[n] = v),
      getState: (n) => this.state[n] ?? '',
      warning: (m) => void this.warnings.push(m),
      attach: () => undefined,
    };
  }
}

let tmp: string;
let identity: string;
let recipient: string;
const savedTemp = process.env.RUNNER_TEMP;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-unit-'));
  process.env.RUNNER_TEMP = tmp;
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
});
afterAll(() => {
  process.env.RUNNER_TEMP = savedTemp;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function settings(extra: Partial<StageSettings> = {}): StageSettings {
  return {
    ageKey: identity,
    replaceKeyFile: false,
    exportEnv: true,
    requireRecipient: false,
    targetPort: 22,
    targetPath: '/var/lib/sops-nix/key.txt',
    targetMode: '0600',
    targetOwner: 'root:root',
    targetSudo: 'auto',
    targetTimeout: 60_000,
    cleanup: true,
    ...extra,
  };
}

function fakeTarget(behaviour: 'ok' | 'fail') {
  const calls: { settings?: TargetSettings; content?: string; disposed: boolean } = { disposed: false };
  const factory: TargetClientFactory = async (s, onDir) => {
    calls.settings = s;
    onDir('/tmp/fake-ssh-dir');
    return {
      privateDir: '/tmp/fake-ssh-dir',
      stage: async (content) => {
        calls.content = content;
        if (behaviour === 'fail') throw new ActionError('host-key-mismatch', 'mismatch');
        return { sha256: 'f'.repeat(64) };
      },
      dispose: async () => void (calls.disposed = true),
    };
  };
  return { factory, calls };
}

describe('stageAgeKey', () => {
  test('runner only: writes the key, exports the path, skips the target', async () => {
    const ctx = new FakeContext(tmp);
    const exported: [string, string][] = [];
    const t = fakeTarget('ok');
    await stageAgeKey(ctx.asContext(), settings(), {
      createTarget: t.factory,
      exportVariable: (n, v) => void exported.push([n, v]),
    });
    const keyFile = ctx.outputs['key-file'];
    expect(exported).toEqual([['SOPS_AGE_KEY_FILE', keyFile]]);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(`# public key: ${recipient}\n${identity}\n`);
    expect(ctx.outputs['public-keys']).toBe(recipient);
    expect(ctx.state).toEqual({
      cleanup: 'true',
      'key-file': keyFile,
      'key-dir': path.dirname(keyFile),
      'key-file-id': expect.stringMatching(/^\d+:\d+:\d+:\d+$/),
    });
    expect(ctx.skipped).toEqual(['check .sops.yaml', 'verify files', 'stage on target']);
    expect(t.calls.settings).toBeUndefined();
    // No state value holds the key.
    expect(JSON.stringify(ctx.state)).not.toContain(identity);

    await cleanupRunner(ctx.asContext());
    expect(fs.existsSync(path.dirname(keyFile))).toBe(false);
  });

  test('target: the rendered key goes to the client, the sha256 to the output, the client is disposed', async () => {
    const ctx = new FakeContext(tmp);
    const t = fakeTarget('ok');
    await stageAgeKey(ctx.asContext(), settings({ targetHost: 'root@edge', exportEnv: false }), {
      createTarget: t.factory,
      exportVariable: () => {
        throw new Error('export-env is false');
      },
    });
    expect(t.calls.content).toBe(`# public key: ${recipient}\n${identity}\n`);
    expect(t.calls.settings?.targetHost).toBe('root@edge');
    expect(t.calls.disposed).toBe(true);
    expect(ctx.outputs['target-sha256']).toBe('f'.repeat(64));
    expect(ctx.state['ssh-dir']).toBe('/tmp/fake-ssh-dir');
    expect(ctx.steps).toContain('stage on root@edge');
  });

  test('a failing target still disposes the client and keeps the key path in state for post', async () => {
    const ctx = new FakeContext(tmp);
    const t = fakeTarget('fail');
    await expect(
      stageAgeKey(ctx.asContext(), settings({ targetHost: 'edge' }), {
        createTarget: t.factory,
        exportVariable: () => undefined,
      }),
    ).rejects.toThrow('mismatch');
    expect(t.calls.disposed).toBe(true);
    expect(fs.existsSync(ctx.state['key-file'])).toBe(true);
    await cleanupRunner(ctx.asContext());
    expect(fs.existsSync(ctx.state['key-file'])).toBe(false);
  });

  test('a malformed ssh-key is an input error before anything is written', async () => {
    const ctx = new FakeContext(tmp);
    const t = fakeTarget('ok');
    const e = await stageAgeKey(ctx.asContext(), settings({ targetHost: 'edge', sshKey: 'hunter2' }), {
      createTarget: t.factory,
      exportVariable: () => undefined,
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).not.toContain('hunter2');
    expect(ctx.state).toEqual({});
  });

  test('cleanup false: post keeps the file', async () => {
    const ctx = new FakeContext(tmp);
    await stageAgeKey(ctx.asContext(), settings({ cleanup: false }), {
      createTarget: fakeTarget('ok').factory,
      exportVariable: () => undefined,
    });
    await cleanupRunner(ctx.asContext());
    expect(fs.existsSync(ctx.outputs['key-file'])).toBe(true);
  });

  test('require-recipient without a sops config warns and skips', async () => {
    const ctx = new FakeContext(tmp);
    await stageAgeKey(ctx.asContext(), settings({ requireRecipient: true }), {
      createTarget: fakeTarget('ok').factory,
      exportVariable: () => undefined,
    });
    expect(ctx.warnings).toEqual([expect.stringMatching(/recipient check was skipped/)]);
    expect(ctx.skipped).toContain('check .sops.yaml');
  });
});
