import { describe, expect, test } from '@jest/globals';
import {
  describeRefused,
  parseRclonePath,
  rcloneCredentials,
  refusedParams,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/rclone-remote.js';
import { classifyRestoreFrom } from '../../../actions/tofu-plan-with-state-backup/src/recovery/archive-source.js';

describe('rclone paths (the connection-string grammar of rclone fs/fspath/path.go)', () => {
  test.each<[string, object | undefined]>([
    ['pcloud:infra/state/edge', { remote: 'pcloud', params: [], path: 'infra/state/edge' }],
    ['pcloud:', { remote: 'pcloud', params: [], path: '' }],
    [':local:/srv/offsite', { remote: ':local', params: [], path: '/srv/offsite' }],
    ['my remote:x', { remote: 'my remote', params: [], path: 'x' }],
    [
      ':s3,provider=AWS,env_auth,region=eu-central-1:bucket/edge',
      {
        remote: ':s3',
        params: [
          { name: 'provider', value: 'AWS', raw: 'AWS' },
          { name: 'env_auth' },
          { name: 'region', value: 'eu-central-1', raw: 'eu-central-1' },
        ],
        path: 'bucket/edge',
      },
    ],
    [
      `:http,url='https://example.com:8443/a,b',x="with""quote":dir`,
      {
        remote: ':http',
        params: [
          { name: 'url', value: 'https://example.com:8443/a,b', raw: `'https://example.com:8443/a,b'` },
          { name: 'x', value: 'with"quote', raw: '"with""quote"' },
        ],
        path: 'dir',
      },
    ],
    ['--config=/tmp/x', undefined],
    ['-remote:x', undefined],
    ['/srv/offsite', undefined],
    ['remote', undefined],
    [':s3,bad-name=1:x', undefined],
    [`:s3,url='unterminated:x`, undefined],
    ['remote:a\nb', undefined],
  ])('%s', (text, want) => {
    expect(parseRclonePath(text)).toEqual(want);
  });

  test.each<[string, string]>([
    ['latest', 'latest'],
    ['remote', 'remote'],
    ['/srv/backups/a.tar.gz', 'local'],
    ['~/infra/backups/a.tar.gz', 'local'],
    ['./a:b.tar.gz', 'local'],
    ['backups/a.tar.gz', 'local'],
    ['pcloud:infra/state/edge/a.tar.gz', 'rclone'],
    [':local:/srv/offsite/a.tar.gz', 'rclone'],
  ])('restore-from %s is %s', (from, kind) => {
    expect(classifyRestoreFrom(from).kind).toBe(kind);
  });
});

describe('refused connection-string parameters', () => {
  const refused = (text: string) => refusedParams(parseRclonePath(text)!).map((p) => `${p.kind}:${p.name}`);

  test.each<[string, string[]]>([
    ['pcloud:infra/state', []],
    [':local,no_set_modtime:/srv/offsite', []],
    [':s3,provider=AWS,env_auth=true,region=eu-central-1:bucket', []],
    [
      ':s3,access_key_id=AKIAEXAMPLE,secret_access_key=wJalr:bucket',
      ['credential:access_key_id', 'credential:secret_access_key'],
    ],
    [':crypt,remote=/srv/x,password=b2JzY3VyZWQ:', ['credential:password']],
    [
      ':sftp,host=example.org,user=ops,pass=xyz:dir',
      ['credential:host', 'credential:user', 'credential:pass'],
    ],
    [':webdav,bearer_token_command=/tmp/evil.sh:dir', ['program:bearer_token_command']],
    [`:sftp,ssh='ssh -o ProxyCommand=evil example.org':dir`, ['program:ssh']],
    [':sftp,md5sum_command=evil:dir', ['program:md5sum_command']],
    ['pcloud,global.metadata_mapper=evil:x', ['program:global.metadata_mapper']],
    ['pcloud,override.no_check_certificate:x', ['program:override.no_check_certificate']],
    [`:webdav,headers='Authorization,Bearer abc':x`, ['credential:headers']],
    [`:webdav,url='https://ops:hunter2@dav.example.org':x`, ['credential:url']],
    // Names rclone may add later that look like credentials, unless only a boolean.
    [':future,api_signing_key=abc,use_session=true:x', ['credential:api_signing_key']],
    // A nested connection string (crypt over sftp) is scanned too.
    [`:crypt,remote=":sftp,ssh=evil:dir":`, ['program:remote (ssh)']],
    [`:crypt,remote=":s3,secret_access_key=zzz:b":`, ['credential:remote (secret_access_key)']],
  ])('%s → %j', (text, want) => {
    expect(refused(text)).toEqual(want);
  });

  test('the values of credential parameters are what gets registered, never booleans or commands', () => {
    expect(
      rcloneCredentials(':s3,env_auth=true,access_key_id=AKIAEXAMPLE,secret_access_key=wJalr:b').sort(),
    ).toEqual(['AKIAEXAMPLE', 'wJalr']);
    expect(rcloneCredentials(`:crypt,remote=":s3,secret_access_key=zzz:b":`)).toEqual([
      ':s3,secret_access_key=zzz:b',
      '":s3,secret_access_key=zzz:b"',
    ]);
    expect(rcloneCredentials(':webdav,bearer_token_command=/tmp/evil.sh:dir')).toEqual([]);
    // Malformed (the schema refuses it, quoting the value): the credential is still found and registered.
    expect(rcloneCredentials(`:s3,secret_access_key='wJalr-unterminated:bucket`)).toContain(
      'wJalr-unterminated:bucket',
    );
    expect(rcloneCredentials(`:s3,region=x,secret_access_key=wJalr,:b`)).toContain('wJalr');
    expect(rcloneCredentials('/local/path/a.tar.gz')).toEqual([]);
    expect(rcloneCredentials(`:webdav,url='https://ops:hunter2@dav.example.org':x`)).toContain('hunter2');
  });

  test('the error names the parameters, not their values, and the safe alternative', () => {
    const text = describeRefused(
      refusedParams(parseRclonePath(':s3,secret_access_key=wJalr,ssh=x:bucket')!),
    )!;
    expect(text).toMatch(/credential parameter\(s\) 'secret_access_key' \(put credentials in a named remote/);
    expect(text).toMatch(/parameter\(s\) 'ssh' that run programs/);
    expect(text).not.toContain('wJalr');
    expect(describeRefused([])).toBeUndefined();
  });
});
