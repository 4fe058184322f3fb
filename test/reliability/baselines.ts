import * as fs from 'node:fs';
import * as path from 'node:path';
import { STANDIN_DIR } from '../support/colmena-apply-hive.js';
import { ageKeygen } from '../support/sops-stage-age-key-fixtures.js';

/**
 * A VALID set of inputs per action, so that a bad-input run differs from a run that would go ahead in
 * exactly one input. `setup` lays out whatever the inputs point at under `root` (checked unchanged after
 * every run); `tools` are every program the action may start (recorded: a bad input must start none).
 * A new action needs an entry here — the bad-input test fails until it has one.
 */
export interface BaselineSetup {
  inputs: Record<string, string>;
  workspace: string;
  env?: Record<string, string | undefined>;
  /** Extra directories (besides PATH) searched for the tools, e.g. a stand-in. */
  searchPath?: string;
}

export interface Baseline {
  tools: string[];
  setup(root: string): BaselineSetup;
}

function write(file: string, content: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export const baselines: Record<string, Baseline> = {
  'colmena-apply': {
    tools: ['colmena', 'nix', 'nix-instantiate', 'ssh', 'sh'],
    setup(root) {
      const workspace = path.join(root, 'ws');
      write(path.join(workspace, 'hive', 'hive.nix'), '{ meta.nixpkgs = <nixpkgs>; }\n');
      return {
        workspace,
        inputs: { 'working-directory': 'hive', on: 'alpha', timeout: '1m' },
        searchPath: STANDIN_DIR,
      };
    },
  },
  'k3s-verify': {
    tools: ['kubectl', 'sh'],
    setup(root) {
      const workspace = path.join(root, 'ws');
      fs.mkdirSync(workspace, { recursive: true });
      const kubeconfig = write(
        path.join(root, 'kube', 'config'),
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: k3s, cluster: {server: "https://127.0.0.1:6443"}}]',
          'users: [{name: ci, user: {token: reader-token}}]',
          'contexts: [{name: k3s, context: {cluster: k3s, user: ci}}]',
          'current-context: k3s',
          '',
        ].join('\n'),
      );
      return { workspace, inputs: { kubeconfig, nodes: '1', timeout: '20s', interval: '1s' } };
    },
  },
  'push-mirror': {
    tools: ['git', 'git-lfs', 'ssh', 'curl', 'sh'],
    setup(root) {
      const workspace = path.join(root, 'ws');
      fs.mkdirSync(path.join(workspace, '.git'), { recursive: true });
      return {
        workspace,
        inputs: {
          'remote-url': 'https://mirror.example.org/ops/infra.git',
          token: 'ghp_baseline_token_0123',
        },
        env: { FORGEJO_TOKEN: undefined, GITHUB_TOKEN: undefined },
      };
    },
  },
  'restic-restore-check': {
    tools: ['restic', 'rclone', 'sh', 'bash'],
    setup(root) {
      const workspace = path.join(root, 'ws');
      fs.mkdirSync(workspace, { recursive: true });
      fs.mkdirSync(path.join(root, 'repo'), { recursive: true });
      return {
        workspace,
        inputs: { repository: path.join(root, 'repo'), password: 'baseline-password-1', timeout: '30s' },
      };
    },
  },
  'sops-stage-age-key': {
    tools: ['ssh', 'scp', 'age', 'sops', 'sudo', 'sh'],
    setup(root) {
      const workspace = path.join(root, 'ws');
      fs.mkdirSync(workspace, { recursive: true });
      return { workspace, inputs: { 'age-key': ageKeygen().identity } };
    },
  },
  'tofu-plan-with-state-backup': {
    tools: ['tofu', 'terraform', 'rclone', 'terramate', 'tar', 'sh'],
    setup(root) {
      const workspace = path.join(root, 'ws');
      write(path.join(workspace, 'main.tf'), 'resource "terraform_data" "x" {\n  input = "a"\n}\n');
      const vars = write(path.join(root, 'vars', 'edge.tfvars'), '# no variables\n');
      return {
        workspace,
        inputs: {
          mode: 'apply',
          'state-path': path.join(root, 'state', 'terraform.tfstate'),
          'var-files': vars,
          'backup-dir': path.join(root, 'state', 'backups'),
          'lock-timeout': '10s',
        },
      };
    },
  },
};
