/** Where the action runs: Forgejo or GitHub, macOS or Linux, and the run's identity. Read once. */
export interface Platform {
  forge: 'forgejo' | 'github' | 'local';
  os: NodeJS.Platform;
  runId: string;
  runAttempt: string;
  sha: string;
  repository: string;
  serverUrl: string;
  apiUrl: string;
  workspace: string;
}

export function detectPlatform(
  env: NodeJS.ProcessEnv = process.env,
  os: NodeJS.Platform = process.platform,
): Platform {
  const forge =
    env.FORGEJO_ACTIONS === 'true' || env.GITEA_ACTIONS === 'true'
      ? 'forgejo'
      : env.GITHUB_ACTIONS === 'true'
        ? 'github'
        : 'local';
  return {
    forge,
    os,
    runId: env.GITHUB_RUN_ID || `local-${process.pid}`,
    runAttempt: env.GITHUB_RUN_ATTEMPT || '1',
    sha: env.GITHUB_SHA || '',
    repository: env.GITHUB_REPOSITORY || '',
    serverUrl: env.GITHUB_SERVER_URL || '',
    apiUrl: env.GITHUB_API_URL || '',
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
  };
}

/** The lowest Node major the bundles are written for (forgejo-runner runs whatever `node` is on PATH). */
export const MIN_NODE_MAJOR = 20;

export function nodeTooOld(version: string = process.versions.node): boolean {
  return Number(version.split('.')[0]) < MIN_NODE_MAJOR;
}
