import type { BadValue } from '../reliability/bad-input-values.js';

/**
 * The hand-written bad-input tables of the actions: one bad value per input and the rules across inputs
 * (the values `bad-input-values.ts` generates from the specs cannot reach those). Each action's own
 * bad-input test runs its table against its own fixture; `test/reliability/secrets.test.ts` runs the same
 * cases with a canary in every secret input and credential position, so every validation-failure path is
 * also a leak check. A case is `[the input the error must name, the inputs that differ from a valid run]`.
 * Relative paths resolve against the workspace the test prepares (noted per table).
 */
export type BadInputCase = [input: string, inputs: Record<string, string>];

/** restic-restore-check, on top of `{ repository, password }`. */
export const RESTIC_SECRET_BAD = 'line-one-9c1f\nline-two-9c1f';
export const RESTIC_BAD_INPUTS: BadInputCase[] = [
  ['repository', { repository: '' }],
  ['password', { password: RESTIC_SECRET_BAD }],
  ['password-file', { password: '', 'password-file': '/nonexistent/restic-password' }],
  ['password-command', { password: '', 'password-command': 'echo a\necho b' }],
  ['env', { env: 'NOT A KEY VALUE LINE' }],
  ['host', { host: 'two words' }],
  ['tags', { tags: 'daily,two words' }],
  ['paths', { paths: 'relative/path' }],
  ['max-age', { 'max-age': 'yesterday' }],
  ['check', { check: 'full' }],
  ['read-data-subset', { 'read-data-subset': '0%' }],
  ['sample-files', { 'sample-files': 'many' }],
  ['sample-seed', { 'sample-seed': '-5' }],
  ['restore-include', { 'restore-include': '/ok\nrelative' }],
  ['compare-with', { 'compare-with': '/nonexistent/source' }],
  ['compare-path', { 'compare-with': '/tmp', 'compare-path': 'relative' }],
  ['compare-tolerance', { 'compare-tolerance': '150' }],
  ['verify-command', { 'verify-command': 'true\u0007' }],
  ['no-lock', { 'no-lock': 'yes' }],
  ['unreachable-after', { 'unreachable-after': '0s' }],
  ['timeout', { timeout: '5' }],
  ['restic-binary', { 'restic-binary': '/nonexistent/restic' }],
  ['cache', { cache: 'yes' }],
  ['cache-dir', { 'cache-dir': '/' }],
  ['failure-issue', { 'failure-issue': 'maybe' }],
  // Rules across inputs.
  ['password', { password: '' }],
  ['password-file', { 'password-file': '/etc/hostname' }],
  ['env', { env: 'RESTIC_PASSWORD=from-env' }],
  ['read-data-subset', { 'read-data-subset': '3/2' }],
  ['compare-path', { 'compare-path': '/srv' }],
];

/** tofu-plan-with-state-backup, on top of `{ mode: apply, state-path }`; one case per input of action.yml. */
export const TOFU_BAD_INPUTS: BadInputCase[] = [
  ['working-directory', { 'working-directory': '/nonexistent/stack' }],
  ['mode', { mode: 'destroy' }],
  ['state-path', { 'state-path': '' }],
  ['var-files', { 'var-files': '/nonexistent/edge.tfvars' }],
  ['backup-dir', { 'backup-dir': 'a\nb' }],
  ['backup-keep', { 'backup-keep': '0' }],
  ['max-archive-size-mb', { 'max-archive-size-mb': '256MB' }],
  ['backup-remote', { 'backup-remote': '--config=/tmp/x' }],
  ['rclone-config', { 'rclone-config': '/nonexistent/rclone.conf' }],
  ['plan-file', { 'plan-file': 'plans/a\nb.tfplan' }],
  ['lock-timeout', { 'lock-timeout': '5 minutes' }],
  ['tofu-binary', { 'tofu-binary': '-rf' }],
  ['handoff-outputs', { 'handoff-outputs': 'host_id\nnot a name!' }],
  ['handoff-file', { 'handoff-file': 'a\nb.json' }],
  ['terramate', { terramate: 'yes' }],
  ['terramate-binary', { 'terramate-binary': '--help' }],
  ['restore-from', { mode: 'restore' }],
  ['allow-lineage-change', { 'allow-lineage-change': 'maybe' }],
  ['max-archive-age', { 'max-archive-age': '8 days' }],
  ['report-artifact', { 'report-artifact': 'evidence/plan' }],
  ['pr-comment', { 'pr-comment': 'yes' }],
  ['require-approved-plan', { mode: 'plan', 'require-approved-plan': 'true' }],
  ['drift-issue', { 'drift-issue': 'true' }],
  ['commit-status', { 'commit-status': 'maybe' }],
  ['forge-token', { 'forge-token': 'fj_line1\nfj_line2' }],
  ['plugin-cache', { 'plugin-cache': 'yes' }],
  // Inside the checkout (relative paths resolve against it): tofu would execute what the job put there.
  ['plugin-cache-dir', { 'plugin-cache-dir': '.providers' }],
];

/**
 * push-mirror: what the generated values do not reach, on top of `{ remote-url, token }` (`extra` are
 * further inputs the case needs; the environment has no FORGEJO_TOKEN or GITHUB_TOKEN).
 */
export const PUSH_MIRROR_BAD_INPUTS: Array<BadValue & { extra?: Record<string, string> }> = [
  { input: 'token', value: 'line1\nline2', why: 'a multi-line token' },
  { input: 'token', value: '', why: 'push without a token' },
  { input: 'remote-url', value: '', why: 'push without a mirror URL' },
  { input: 'remote-url', value: 'http://github.com/ex/infra.git', why: 'a token over plain http' },
  { input: 'username', value: 'x-access-token:evil', why: 'a colon in the user name' },
  { input: 'source-dir', value: '/nonexistent/push-mirror-src', why: 'a missing directory' },
  { input: 'refs', value: 'refs/heads/* refs/pull/*', why: 'pull request refs' },
  { input: 'refs', value: 'refs/heads/../main', why: 'a .. in a pattern' },
  { input: 'repository', value: 'just-a-name', why: 'no owner' },
  { input: 'forgejo-token', value: 'a\nb', why: 'a multi-line token' },
  {
    input: 'forgejo-token',
    value: '',
    why: 'forgejo-sync without any token',
    extra: { mode: 'forgejo-sync' },
  },
  { input: 'wait-timeout', value: '7h', why: 'above 6h' },
  { input: 'lfs', value: 'yes', why: 'neither true, false nor auto' },
  { input: 'source-token', value: 'a\nb', why: 'a multi-line token' },
];

/** k3s-verify, on top of `{ kubeconfig }`; the workspace holds `expect.yml` (`K3S_EXPECT_YML`). */
export const K3S_EXPECT_YML = 'workloads:\n  - deployment/rustdesk/hbbs\n';
export const K3S_BAD_INPUTS: BadInputCase[] = [
  ['kubeconfig', { kubeconfig: '/nonexistent/k3s.yaml' }],
  ['kubeconfig-content', { 'kubeconfig-content': 'clusters: [\n  - oops' }],
  ['context', { context: 'two words' }],
  ['context', { context: 'no-such-context' }],
  ['server', { server: 'ftp://10.0.0.5:6443' }],
  ['tls-server-name', { 'tls-server-name': 'not a name' }],
  ['expect', { expect: 'workloads:\n  - kind: job\n    namespace: x\n    name: y\n' }],
  ['expect', { expect: 'workloads: [\n' }],
  ['expect', { expect: 'nodes: 1', 'expect-file': 'expect.yml' }],
  ['expect-file', { 'expect-file': 'does-not-exist.yml' }],
  ['nodes', { nodes: '1\nedge-1' }],
  ['workloads', { workloads: 'job/kube-system/helm-install-traefik' }],
  ['containers', { containers: 'rustdesk/hbbs' }],
  ['ports', { ports: '10.0.0.5:21116/sctp' }],
  ['volumes', { volumes: 'rustdesk/hbbs-data size=lots' }],
  [
    'volumes',
    {
      volumes: 'rustdesk/hbbs-data size=1Gi',
      expect: 'volumes: [rustdesk/hbbs-data storage-class=x size=2Gi]',
    },
  ],
  ['mounted-volumes', { 'mounted-volumes': 'no' }],
  ['expect', { expect: 'conditions:\n  - {apiVersion: v1, kind: Pod, name: x, after: [nothing]}\n' }],
  ['system-components', { 'system-components': 'yes' }],
  ['max-restarts', { 'max-restarts': '-1' }],
  ['max-restarts', { 'max-restarts': '5', expect: 'max-restarts: 7' }],
  ['timeout', { timeout: '5 minutes' }],
  ['interval', { interval: '500ms' }],
  ['kubectl-binary', { 'kubectl-binary': 'kubectl-that-does-not-exist' }],
];

/** colmena-apply: one bad value per input, given with `on: alpha` in a hive workspace. */
export const COLMENA_KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
export const COLMENA_BAD_VALUES: [input: string, value: string][] = [
  ['working-directory', 'no-such-dir'],
  ['config', 'hive.nix\nother.nix'],
  ['on', 'edge-['],
  ['allow-apply-all', 'yes'],
  ['goal', 'deploy'],
  ['build-on-target', 'TRUE'],
  ['parallel', '-1'],
  ['reboot', 'on'],
  ['reboot-timeout', '10 minutes'],
  ['keep-result', '1'],
  ['impure', 'no'],
  ['show-trace', 'y'],
  ['nix-options', 'max-jobs 4'],
  ['extra-args', '--on=alpha'],
  ['ssh-config', 'missing/ssh_config'],
  ['known-hosts', 'alpha.example ssh-ed25519 bm90LWEta2V5'],
  ['timeout', '0s'],
  ['dry-activate-first', 'maybe'],
  ['colmena-binary', '/nonexistent/colmena'],
];
/** colmena-apply: the rules across inputs (complete input sets). */
export const COLMENA_CROSS_INPUT: BadInputCase[] = [
  ['on', { on: '' }],
  ['reboot', { on: 'alpha', goal: 'build', reboot: 'true' }],
  ['dry-activate-first', { on: 'alpha', goal: 'push', 'dry-activate-first': 'true' }],
  [
    'known-hosts',
    { on: 'alpha', config: '.#', 'known-hosts': `#\nalpha.example ssh-ed25519 ${COLMENA_KEY}` },
  ],
  ['config', { on: 'alpha', config: 'git+https://ops:glpat-example@forgejo.example.org/ops/hive' }],
];

/**
 * sops-stage-age-key, on top of a valid `age-key`; the workspace holds `.sops.yaml` and
 * `secrets/a.yaml`. `SOPS_TARGET` is a valid target the target-side cases change one input of.
 */
export const SOPS_TARGET = {
  'target-host': 'root@127.0.0.1',
  'known-hosts': '[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI',
};
export const SOPS_BAD_INPUTS: BadInputCase[] = [
  ['age-key', { 'age-key': 'AGE-SECRET-KEY-1-not-really' }],
  ['age-key', { 'age-key': '' }],
  ['key-file', { 'key-file': '/tmp/keys.txt' }],
  ['export-env', { 'export-env': 'yes' }],
  ['sops-config', { 'sops-config': 'missing/.sops.yaml' }],
  ['require-recipient', { 'require-recipient': 'maybe' }],
  ['verify-files', { 'verify-files': '../outside/*.yaml' }],
  ['verify-files', { 'verify-files': 'nothing/*.yaml' }],
  ['target-host', { 'target-host': '-oProxyCommand=touch /tmp/pwned' }],
  ['target-port', { ...SOPS_TARGET, 'target-port': '70000' }],
  ['target-path', { ...SOPS_TARGET, 'target-path': 'relative/key.txt' }],
  ['target-mode', { ...SOPS_TARGET, 'target-mode': '0644' }],
  ['target-owner', { ...SOPS_TARGET, 'target-owner': 'root root' }],
  ['target-sudo', { ...SOPS_TARGET, 'target-sudo': 'sometimes' }],
  ['target-timeout', { ...SOPS_TARGET, 'target-timeout': 'forever' }],
  ['ssh-key', { ...SOPS_TARGET, 'ssh-key': 'not a private key' }],
  ['ssh-config', { ...SOPS_TARGET, 'ssh-config': 'no/such/ssh_config' }],
  ['known-hosts', { ...SOPS_TARGET, 'known-hosts': 'just garbage' }],
  ['cleanup', { cleanup: 'no' }],
];
