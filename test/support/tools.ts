import { execFileSync } from 'node:child_process';

/**
 * Tests that need a real tool fail (never skip) when it is missing, with the install hint.
 * `scripts/install-test-tools.sh` installs them; this is the check at the point of use.
 */
const HINTS: Record<string, string> = {
  restic: 'apt-get install -y restic   (macOS: brew install restic)',
  rclone: 'apt-get install -y rclone   (macOS: brew install rclone)',
  age: 'apt-get install -y age   (macOS: brew install age)',
  'age-keygen': 'apt-get install -y age   (macOS: brew install age)',
  sshd: 'apt-get install -y openssh-server   (macOS: built in)',
  ssh: 'apt-get install -y openssh-client   (macOS: built in)',
  git: 'apt-get install -y git   (macOS: xcode-select --install)',
  'git-lfs': 'apt-get install -y git-lfs   (macOS: brew install git-lfs)',
  jq: 'apt-get install -y jq   (macOS: brew install jq)',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/)   (macOS: brew install kubectl)',
  terraform: 'install OpenTofu (tofu) or Terraform   (macOS: brew install opentofu)',
};

export function which(bin: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v "$1"`, 'sh', bin], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function requireTool(bin: string): string {
  const found = bin === 'sshd' ? (which('sshd') ?? ['/usr/sbin/sshd'].find((p) => which(p))) : which(bin);
  if (!found) {
    throw new Error(
      `this test needs '${bin}', which is not installed: ${HINTS[bin] ?? `install ${bin}`} — or run npm run test:tools`,
    );
  }
  return found;
}

/** OpenTofu when present, otherwise Terraform (CLI-compatible for local-state plan/apply/show/output). */
export function tofuBinary(): string {
  return which('tofu') ? 'tofu' : (requireTool('terraform'), 'terraform');
}
