import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.join(__dirname, '..', '..', 'src', 'nodes', 'ml-model');

/** Every word the IoT AI sidebar shows is in ml-model's catalogue (en-US), under ml-model.sidebar. */
describe('the IoT AI sidebar: its text comes from the locale', () => {
  const script = fs.readFileSync(path.join(dir, 'editor-sidebar.js'), 'utf8');
  const catalogue = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', 'messages.json'), 'utf8'))['ml-model'].sidebar;
  const lookup = (key: string): unknown => key.split('.').reduce<any>((node, part) => (node === undefined ? undefined : node[part]), catalogue);

  it('has every key the script asks for, and the metric names it shows', () => {
    // A prefix ("metric." + name) is checked through the names it is completed with.
    const keys = [...script.matchAll(/\bt\("([A-Za-z.]+)"/g)].map((m) => m[1]).filter((k) => !k.endsWith('.'));
    assert.ok(keys.length > 30, `found ${keys.length} keys`);
    const metrics = JSON.parse(/var METRICS = (\[[^\]]*\]);/.exec(script)![1].replace(/'/g, '"')) as string[];
    for (const key of [...keys, ...metrics.map((m) => `metric.${m}`)]) assert.equal(typeof lookup(key), 'string', `ml-model.sidebar.${key}`);
  });

  it('writes no user-visible English of its own (text goes through t(), or is a number or a name)', () => {
    const literals = [...script.matchAll(/\.text\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual(literals, []);
  });
});
