import { describe, expect, test } from '@jest/globals';
import {
  OVERRIDE_FILE,
  backendConflict,
  backendRecordConflict,
  overrideContent,
} from '../../../actions/tofu-plan-with-state-backup/src/tofu/backend-config.js';

const STATE = '/srv/state/edge.tfstate';
const WD = '/ws/stack';
const tf = (content: string, name = 'main.tf') => [{ name, content }];

describe('stack backend configuration', () => {
  test.each<[string, { name: string; content: string }[], RegExp | undefined]>([
    ['no backend (implicit local)', tf('resource "terraform_data" "x" {}'), undefined],
    ['local backend without path', tf('terraform {\n  backend "local" {}\n}'), undefined],
    [
      'local backend with the same absolute path',
      tf(`terraform {\n backend "local" { path = "${STATE}" }\n}`),
      undefined,
    ],
    [
      'local backend with the same relative path',
      tf('terraform {\n backend "local" {\n  path = "../../srv/state/edge.tfstate"\n }\n}'),
      undefined,
    ],
    [
      'local backend with another path',
      tf('terraform {\n backend "local" {\n  path = "terraform.tfstate"\n }\n}'),
      /path to 'terraform.tfstate'/,
    ],
    [
      's3 backend',
      tf('terraform {\n  required_version = ">= 1.6"\n  backend "s3" {\n    bucket = "b"\n  }\n}'),
      /'s3' backend/,
    ],
    ['cloud block', tf('terraform {\n  cloud {\n    organization = "o"\n  }\n}'), /cloud block/],
    [
      'commented-out backend',
      tf('terraform {\n  # backend "s3" {}\n  // backend "gcs" {}\n  /* backend "http" {} */\n}'),
      undefined,
    ],
    [
      'backend word inside a string',
      tf('terraform {\n  required_version = "backend \\"s3\\" {"\n}'),
      undefined,
    ],
    [
      'a resource named cloud is not a cloud block',
      tf('resource "x" "cloud" {\n  cloud {\n  }\n}'),
      undefined,
    ],
    [
      'a backend in a .tf.json file',
      tf(JSON.stringify({ terraform: { backend: { s3: { bucket: 'b' } } } }), 'main.tf.json'),
      /'s3' backend/,
    ],
    [
      'a local path in a .tf.json file',
      tf(JSON.stringify({ terraform: [{ backend: [{ local: { path: 'x.tfstate' } }] }] }), 'main.tf.json'),
      /path to 'x.tfstate'/,
    ],
    [
      'a cloud block in a .tf.json file',
      tf(JSON.stringify({ terraform: { cloud: { organization: 'o' } } }), 'main.tf.json'),
      /cloud block/,
    ],
    [
      'a user override file switching backend',
      tf('terraform {\n backend "remote" {}\n}', 'backend_override.tf'),
      /'remote' backend/,
    ],
    [
      'our own override file is ignored',
      tf('terraform {\n backend "local" { path = "/elsewhere" }\n}', OVERRIDE_FILE),
      undefined,
    ],
    ['non-config files are ignored', tf('terraform {\n backend "s3" {}\n}', 'README.md'), undefined],
  ])('%s', (_name, files, want) => {
    const why = backendConflict(files, STATE, WD);
    if (want) expect(why).toMatch(want);
    else expect(why).toBeUndefined();
  });
});

describe('override file', () => {
  test('declares the local backend at exactly the state path (quoted as HCL/JSON string)', () => {
    const text = overrideContent('/srv/state dir/"odd".tfstate');
    expect(text).toContain('backend "local" {');
    expect(text).toContain('path = "/srv/state dir/\\"odd\\".tfstate"');
    expect(
      backendConflict([{ name: 'other.tf', content: overrideContent(STATE) }], STATE, WD),
    ).toBeUndefined();
  });
});

describe('backend record written by init', () => {
  const rec = (type: string, p: string | null) =>
    JSON.stringify({ version: 3, backend: { type, config: { path: p } } });
  test.each<[string | undefined, RegExp | undefined]>([
    [rec('local', STATE), undefined],
    [rec('local', '/other.tfstate'), /local path '\/other.tfstate'/],
    [rec('s3', null), /'s3' backend/],
    [undefined, /no backend record/],
    ['{', /not JSON/],
  ])('%s', (record, want) => {
    const why = backendRecordConflict(record, STATE);
    if (want) expect(why).toMatch(want);
    else expect(why).toBeUndefined();
  });
});
