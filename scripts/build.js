#!/usr/bin/env node
// Builds what Node-RED loads: type-checks and compiles src/ to dist/ (a type error fails the build), then
// assembles nodes/<type>.{js,html}, nodes/locales and nodes/icons from src/nodes/<type>/ (the English help from
// docs/nodes/<type>.md where the node has no help.html: scripts/help.js), and examples/ from flows/.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { helpScript } = require('./help');

const root = path.resolve(__dirname, '..');
const out = (...p) => path.join(root, ...p);

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

fs.rmSync(out('dist'), { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', out('tsconfig.json')], { stdio: 'inherit', cwd: root });
if (tsc.status !== 0) fail('type check failed');

fs.rmSync(out('nodes'), { recursive: true, force: true });
fs.mkdirSync(out('nodes', 'icons'), { recursive: true });

const pkg = JSON.parse(fs.readFileSync(out('package.json'), 'utf8'));
const declared = pkg['node-red'].nodes;
const helpCss = fs.readFileSync(out('src', 'nodes', 'shared', 'help.css'), 'utf8');
// The lists, defaults and limits the editors share with the runtime, from core (IotAiEditor.core).
const editorCore = require(out('dist', 'nodes', 'shared', 'editor-core.js')).editorCoreScript();
const types = fs
  .readdirSync(out('src', 'nodes'))
  .filter((name) => fs.existsSync(out('src', 'nodes', name, 'index.ts')))
  .sort();

for (const type of types) {
  const src = (...p) => out('src', 'nodes', type, ...p);
  if (declared[type] !== `nodes/${type}.js`) fail(`package.json "node-red".nodes must map ${type} to nodes/${type}.js`);
  fs.writeFileSync(out('nodes', `${type}.js`), `// Built from src/nodes/${type}; do not edit.\nmodule.exports = require("../dist/nodes/${type}/index.js");\n`);

  // A node's further editor scripts (editor-*.js, e.g. ml-model's IoT AI sidebar) and styles (editor.css) follow its own.
  const more = fs.readdirSync(src()).filter((f) => /^editor-.+\.js$/.test(f)).sort();
  const editorJs =
    fs.readFileSync(out('src', 'nodes', 'shared', 'editor-helpers.js'), 'utf8') +
    editorCore +
    [src('editor.js'), ...more.map((f) => src(f))].map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const editorCss = fs.existsSync(src('editor.css')) ? fs.readFileSync(src('editor.css'), 'utf8') : '';
  const template = fs.readFileSync(src('editor.html'), 'utf8');
  fs.writeFileSync(
    out('nodes', `${type}.html`),
    `<!-- Built from src/nodes/${type}; do not edit. -->\n<script type="text/javascript">\n${editorJs}</script>\n\n` +
      `<script type="text/html" data-template-name="${type}">\n${template}</script>\n\n` +
      // The same rules in every node's file: any one node type may be disabled on its own.
      `<style>\n${helpCss}${editorCss}</style>\n`,
  );

  const locales = src('locales');
  for (const lang of fs.readdirSync(locales)) {
    const target = out('nodes', 'locales', lang);
    fs.mkdirSync(target, { recursive: true });
    const messages = path.join(locales, lang, 'messages.json');
    if (fs.existsSync(messages)) {
      const parsed = JSON.parse(fs.readFileSync(messages, 'utf8'));
      if (!parsed[type]) fail(`${path.relative(root, messages)} must have a top-level "${type}" key`);
      // Messages every editor shares (iotAi.*, e.g. the validators' reasons) go into each node's own catalogue.
      const shared = out('src', 'nodes', 'shared', 'locales', lang, 'messages.json');
      const merged = fs.existsSync(shared) ? { ...JSON.parse(fs.readFileSync(shared, 'utf8')), ...parsed } : parsed;
      fs.writeFileSync(path.join(target, `${type}.json`), JSON.stringify(merged, null, 2) + '\n');
    }
    const help = path.join(locales, lang, 'help.html');
    const doc = out('docs', 'nodes', `${type}.md`);
    if (fs.existsSync(help)) {
      fs.writeFileSync(path.join(target, `${type}.html`), `<script type="text/html" data-help-name="${type}">\n<div class="iot-ai-help">\n${fs.readFileSync(help, 'utf8')}</div>\n</script>\n`);
    } else if (lang === 'en-US' && fs.existsSync(doc)) {
      // No help.html of its own: the English help is the node's page, docs/nodes/<type>.md (scripts/help.js).
      fs.writeFileSync(path.join(target, `${type}.html`), helpScript(type, fs.readFileSync(doc, 'utf8'), `docs/nodes/${type}.md`));
    } else if (lang === 'en-US') {
      fail(`src/nodes/${type}/locales/en-US has no help.html and docs/nodes/${type}.md does not exist`);
    }
  }
}
for (const type of Object.keys(declared)) {
  if (!types.includes(type)) fail(`package.json declares ${type} but src/nodes/${type}/index.ts does not exist`);
}

for (const icon of fs.readdirSync(out('src', 'icons'))) fs.copyFileSync(out('src', 'icons', icon), out('nodes', 'icons', icon));

fs.rmSync(out('examples'), { recursive: true, force: true });
// flows/*.json, and flows/dashboard/*.json (the Dashboard 2 examples: a "dashboard" folder in Import › Examples).
for (const folder of [[], ['dashboard']]) {
  if (!fs.existsSync(out('flows', ...folder))) continue;
  const flows = fs.readdirSync(out('flows', ...folder)).filter((f) => f.endsWith('.json'));
  if (flows.length > 0) fs.mkdirSync(out('examples', ...folder), { recursive: true });
  for (const flow of flows) {
    JSON.parse(fs.readFileSync(out('flows', ...folder, flow), 'utf8')); // a broken example fails the build, not the user's import
    fs.copyFileSync(out('flows', ...folder, flow), out('examples', ...folder, flow));
  }
}
console.log(`build: ${types.length} node type(s): ${types.join(', ')}`);
