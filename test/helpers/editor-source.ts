import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorCoreScript } from '../../src/nodes/shared/editor-core';

const nodes = path.join(__dirname, '..', '..', 'src', 'nodes');

/** What every node's editor script starts with, as scripts/build.js assembles it: the helpers, then IotAiEditor.core. */
export function sharedEditorSource(): string {
  return fs.readFileSync(path.join(nodes, 'shared', 'editor-helpers.js'), 'utf8') + editorCoreScript();
}

/** A node's editor script as the build assembles it from src: the shared part, then src/nodes/<type>/editor.js and editor-*.js. */
export function editorSource(type: string): string {
  const more = fs.readdirSync(path.join(nodes, type)).filter((f) => /^editor-.+\.js$/.test(f)).sort();
  return sharedEditorSource() + ['editor.js', ...more].map((f) => fs.readFileSync(path.join(nodes, type, f), 'utf8')).join('\n');
}
