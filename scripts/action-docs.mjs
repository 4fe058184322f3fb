// Generates the inputs/outputs tables of every actions/<name>/README.md from its action.yml,
// between `<!-- BEGIN GENERATED: inputs -->` … `<!-- END GENERATED: inputs -->` (and outputs).
// `npm run docs` rewrites them; a contract test fails when a README drifts from its action.yml.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const cell = (s) =>
  String(s ?? '')
    .trim()
    .replace(/\|/g, '\\|')
    .replace(/\r?\n\s*/g, ' ');

export function renderTables(yml) {
  const inputs = Object.entries(yml.inputs ?? {}).map(
    ([name, i]) =>
      `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${i.default === undefined ? '' : `\`${cell(i.default).replace(/`/g, '')}\``} | ${cell(i.description)} |`,
  );
  const outputs = Object.entries(yml.outputs ?? {}).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description)} |`,
  );
  return {
    inputs: ['| input | required | default | description |', '| --- | --- | --- | --- |', ...inputs].join(
      '\n',
    ),
    outputs: ['| output | description |', '| --- | --- |', ...outputs].join('\n'),
  };
}

/** Inserts the tables and formats the README the way `prettier --check` expects, so the two never fight. */
export async function updateReadme(readme, yml, filepath) {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(insertTables(readme, yml), { ...config, filepath });
}

function insertTables(readme, yml) {
  const tables = renderTables(yml);
  let out = readme;
  for (const kind of ['inputs', 'outputs']) {
    const re = new RegExp(`(<!-- BEGIN GENERATED: ${kind} -->)[\\s\\S]*?(<!-- END GENERATED: ${kind} -->)`);
    if (!re.test(out))
      throw new Error(
        `README has no '<!-- BEGIN GENERATED: ${kind} -->' … '<!-- END GENERATED: ${kind} -->' markers`,
      );
    out = out.replace(re, `$1\n\n${tables[kind]}\n\n$2`);
  }
  return out;
}

export function actionDocs(root) {
  const dir = path.join(root, 'actions');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const base = path.join(dir, d.name);
      const yml = parse(fs.readFileSync(path.join(base, 'action.yml'), 'utf8'));
      const readmeFile = path.join(base, 'README.md');
      const readme = fs.existsSync(readmeFile) ? fs.readFileSync(readmeFile, 'utf8') : '';
      return { name: d.name, readmeFile, readme, yml };
    });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  for (const a of actionDocs(root)) {
    const next = await updateReadme(a.readme, a.yml, a.readmeFile);
    if (next !== a.readme) {
      fs.writeFileSync(a.readmeFile, next);
      console.log(`updated ${path.relative(root, a.readmeFile)}`);
    }
  }
}
