/** Every state key shared by main and post. Paths and flags only: no secret ever goes into state. */
export const STATE = {
  cleanup: 'cleanup',
  keyFile: 'key-file',
  /** Directory this run created for the key file (removed once empty). */
  keyDir: 'key-dir',
  /** `dev:ino` of the key file this run wrote: post removes that file and no other. */
  keyFileId: 'key-file-id',
  /** Where an existing key file was set aside (replace-key-file); post puts it back. */
  keySetAside: 'key-set-aside',
  /** Private directory with the ssh key, known_hosts and config (removed by main; post is the net). */
  sshDir: 'ssh-dir',
} as const;
