import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines } from '../../support/run-action.js';
import {
  archivesIn,
  canaryLeaks,
  setupEnv,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * Issue 15, item 6 (tofu part): rclone connection strings in `backup-remote` and `restore-from`.
 * Reproduced with the real rclone 1.60 before the fix: a crypt remote's password went to rclone's argv,
 * the log and the report, and webdav's `bearer_token_command` ran a program of the input's choosing
 * before any network access. Now such a value is refused as an input error that names the parameter
 * and the safe alternative (a named remote in the rclone config), before any tool starts, and the
 * credential was registered as a secret first, so no log line, summary, report or output shows it.
 */
let env: Env;
let state: string;
let marker: string;
let script: string;
let obscured: string;

beforeAll(() => {
  env = setupEnv('tofu-remote-params');
  state = path.join(env.runnerHome, 'infra', 'state', 'terraform.tfstate');
  fs.mkdirSync(path.dirname(state), { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    state,
    JSON.stringify({ version: 4, serial: 3, lineage: 'L', outputs: {}, resources: [] }),
  );
  marker = path.join(env.root, 'program-ran');
  script = path.join(env.root, 'token.sh');
  fs.writeFileSync(script, `#!/bin/sh\ntouch ${marker}\necho token\n`, { mode: 0o755 });
  // rclone's own reversible "obscured" form: what a crypt password looks like in a connection string.
  obscured = execFileSync('rclone', ['obscure', 'canary-crypt-pass-51e9d7'], { encoding: 'utf8' }).trim();
});
afterAll(() => env.cleanup());

const backups = () => path.join(path.dirname(state), 'backups');

describe('refused connection-string parameters', () => {
  const cases: [string, () => Record<string, string>, RegExp, () => string | undefined][] = [
    [
      'a credential in backup-remote (crypt password)',
      () => ({ mode: 'backup', 'backup-remote': `:crypt,remote=${env.root}/crypt,password=${obscured}:` }),
      /Input 'backup-remote' is invalid: .*credential parameter\(s\) 'password' \(put credentials in a named remote of the rclone config/,
      () => obscured,
    ],
    [
      'S3 keys in backup-remote',
      () => ({
        mode: 'backup',
        'backup-remote':
          ':s3,provider=AWS,access_key_id=AKIACANARY7F3A,secret_access_key=canary-s3-secret-0b4e:bucket',
      }),
      /credential parameter\(s\) 'access_key_id', 'secret_access_key'/,
      () => 'canary-s3-secret-0b4e',
    ],
    [
      'a program in backup-remote (webdav bearer_token_command)',
      () => ({ mode: 'backup', 'backup-remote': `:webdav,bearer_token_command=${script}:offsite` }),
      /Input 'backup-remote' is invalid: .*parameter\(s\) 'bearer_token_command' that run programs/,
      () => undefined,
    ],
    [
      "a program in backup-remote (sftp's external ssh)",
      () => ({ mode: 'backup', 'backup-remote': `:sftp,host=127.0.0.1,ssh='${script} -x':offsite` }),
      /parameter\(s\) 'ssh' that run programs/,
      () => undefined,
    ],
    [
      'a credential in an rclone path given to restore-from',
      () => ({
        mode: 'restore',
        'restore-from': `:crypt,remote=${env.root}/crypt,password=${obscured}:terraform.tfstate.x.tar.gz`,
      }),
      /Input 'restore-from' is invalid: .*credential parameter\(s\) 'password'/,
      () => obscured,
    ],
  ];

  test.each(cases)(
    '%s: invalid-input before any tool starts; the value never shows',
    async (_name, inputs, message, secret) => {
      const calls = env.recorder.calls().length;
      const runs = env.runs.length;
      const r = await env.run({ 'state-path': state, ...inputs() });
      expect(r.exitCode).toBe(1);
      expect(r.outputs['failure-reason']).toBe('invalid-input');
      const errors = errorLines(r.log);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(env.recorder.calls().slice(calls)).toEqual([]);
      expect(fs.existsSync(marker)).toBe(false);
      expect(archivesIn(backups())).toEqual([]);
      const value = secret();
      if (value) {
        // Registered before validation (so masked), and nowhere else.
        expect(r.masks).toContain(value);
        expect(canaryLeaks(env.runs.slice(runs), env.recorder, [value])).toEqual([]);
        expect(JSON.stringify(r.report)).toContain('***');
      }
    },
  );

  test('harmless parameters are accepted: the archive is copied and verified off-site', async () => {
    const offsite = path.join(env.root, 'offsite');
    const r = await env.run({
      'state-path': state,
      mode: 'backup',
      'backup-remote': `:local,no_set_modtime:${offsite}`,
    });
    expect(r.exitCode).toBe(0);
    const name = path.basename(r.outputs['backup-archive']);
    expect(r.outputs['backup-remote']).toBe(`:local,no_set_modtime:${offsite}/${name}`);
    expect(
      fs.readFileSync(path.join(offsite, name)).equals(fs.readFileSync(r.outputs['backup-archive'])),
    ).toBe(true);
  });
});
