/** Every state key shared by main and post. Paths and flags only: no secret ever goes into state. */
export const STATE = {
  cleanup: 'cleanup',
  keyFile: 'key-file',
  /** Directory this run created for the key file (removed whole). */
  keyDir: 'key-dir',
  /** Private directory with the ssh key, known_hosts and config (removed by main; post is the net). */
  sshDir: 'ssh-dir',
} as const;
