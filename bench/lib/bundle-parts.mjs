// Attributes the bytes of an ncc (webpack) bundle to the packages they come from, from the comments
// webpack leaves in unminified output: `// CONCATENATED MODULE: <path>` starts an ES module folded into
// another, `/***/ <id>:` starts a module of the module table, and `// EXTERNAL MODULE: <path>` followed by
// `__nccwpck_require__(<id>)` names the path of a table module. Approximate, but enough to say which
// dependency makes a bundle large.

function owner(modulePath) {
  if (!modulePath) return 'unattributed modules';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(modulePath);
  if (m) return m[1];
  if (/^\.\/(actions|shared)\//.test(modulePath)) return 'suite code (actions/, shared/)';
  if (modulePath.startsWith('external ')) return 'node built-ins (references only)';
  return modulePath;
}

export function bundleParts(text) {
  const idToPath = new Map();
  for (const m of text.matchAll(
    /\/\/ EXTERNAL MODULE: (.+?)(?: \+ \d+ modules)?\nvar \w+ = __nccwpck_require__\((\d+)\)/g,
  ))
    if (!idToPath.has(m[2])) idToPath.set(m[2], m[1]);
  const markers = [];
  for (const m of text.matchAll(/^\/\*\*\*\/ (\d+):$/gm))
    markers.push({ at: m.index, path: idToPath.get(m[1]) });
  for (const m of text.matchAll(/^;?\/\/ CONCATENATED MODULE: (.+)$/gm))
    markers.push({ at: m.index, path: m[1] });
  markers.sort((a, b) => a.at - b.at);
  const bytes = new Map();
  const add = (key, n) => bytes.set(key, (bytes.get(key) ?? 0) + n);
  add(
    'webpack runtime and glue',
    markers.length ? Buffer.byteLength(text.slice(0, markers[0].at)) : Buffer.byteLength(text),
  );
  markers.forEach((mk, i) => {
    const end = i + 1 < markers.length ? markers[i + 1].at : text.length;
    add(owner(mk.path), Buffer.byteLength(text.slice(mk.at, end)));
  });
  return [...bytes].map(([name, n]) => ({ name, bytes: n })).sort((a, b) => b.bytes - a.bytes);
}
