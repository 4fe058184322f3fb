import * as path from 'node:path';
import { expect, test } from '@jest/globals';
import { REPO_ROOT } from '../support/run-action.js';

interface Doc {
  name: string;
  readmeFile: string;
  readme: string;
  yml: unknown;
}
const docs = (await import(path.join(REPO_ROOT, 'scripts', 'action-docs.mjs'))) as {
  actionDocs: (root: string) => Doc[];
  updateReadme: (readme: string, yml: unknown, filepath: string) => Promise<string>;
};

const actions = docs.actionDocs(REPO_ROOT);

test.each(actions.map((a) => [a.name, a] as const))(
  '%s: README inputs/outputs tables are generated from action.yml (run `npm run docs`)',
  async (_name, a) => {
    expect(a.readme).toBe(await docs.updateReadme(a.readme, a.yml, a.readmeFile));
  },
);
