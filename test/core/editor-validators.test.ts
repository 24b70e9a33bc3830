import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { editorSource } from '../helpers/editor-source';

const nodes = path.join(__dirname, '..', '..', 'src', 'nodes');
const types = fs.readdirSync(nodes).filter((t) => fs.existsSync(path.join(nodes, t, 'editor.js')));

type Validator = ((this: Record<string, unknown>, v: unknown, opt: object) => unknown) & { length: number };
/** A node's editor as the build assembles it (shared helpers first), run against a stand-in RED. */
function definition(type: string): { defaults: Record<string, { value: unknown; validate?: Validator }> } {
  let registered: ReturnType<typeof definition> | undefined;
  const source = editorSource(type);
  const context: Record<string, unknown> = { RED: { nodes: { registerType: (_t: string, def: typeof registered) => (registered = def) } }, $: () => ({}) };
  context.window = context;
  vm.runInNewContext(source, context);
  return registered!;
}
function has(catalogue: Record<string, unknown>, key: string): boolean {
  return key.split('.').reduce<unknown>((at, part) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), catalogue) !== undefined;
}

/** Issue #18.8: validators say why (Node-RED 4 shows a two-argument validator's text), in the user's language. */
describe('editor validators', () => {
  it('every validator takes (v, opt), so the editor shows the reason it returns', () => {
    assert.ok(types.length >= 8);
    for (const type of types) {
      for (const [name, prop] of Object.entries(definition(type).defaults)) {
        if (prop.validate) assert.equal(prop.validate.length, 2, `${type}.${name}`);
      }
    }
  });

  it('every default value is valid (a new node is not red)', () => {
    for (const type of types) {
      const defaults = definition(type).defaults;
      const fresh: Record<string, unknown> = Object.fromEntries(Object.entries(defaults).map(([k, p]) => [k, p.value]));
      fresh._ = (key: string) => key;
      for (const [name, prop] of Object.entries(defaults)) {
        if (!prop.validate) continue;
        // ml-model: a fresh one is filled by its dialog (a bundled model); its blank path is judged with that.
        const node = type === 'ml-model' ? { ...fresh, bundled: 'home-occupancy' } : fresh;
        assert.equal(prop.validate.call(node, node[name], {}), true, `${type}.${name} = ${JSON.stringify(node[name])}`);
      }
    }
  });

  it('every reason an editor names is in its locale (its own keys or the shared iotAi.* ones)', () => {
    const shared = JSON.parse(fs.readFileSync(path.join(nodes, 'shared', 'locales', 'en-US', 'messages.json'), 'utf8'));
    const helpers = fs.readFileSync(path.join(nodes, 'shared', 'editor-helpers.js'), 'utf8');
    for (const type of types) {
      const own = JSON.parse(fs.readFileSync(path.join(nodes, type, 'locales', 'en-US', 'messages.json'), 'utf8'));
      const source = fs.readFileSync(path.join(nodes, type, 'editor.js'), 'utf8') + helpers;
      const keys = [...source.matchAll(/"((?:iotAi|[a-z-]+)\.validation\.[A-Za-z]+)"/g)].map((m) => m[1]);
      assert.ok(keys.length > 0 || type === 'anomaly-detect' || type === 'model-predict', `${type} names no reason`);
      for (const key of keys) assert.ok(has({ ...shared, ...own }, key), `${type}: ${key} is not in its locale`);
    }
  });

  it('an invalid value is answered with its reason, not false', () => {
    const say = (key: string, args?: Record<string, unknown>) => `${key}${args ? ' ' + JSON.stringify(args) : ''}`;
    const samples: Array<[string, string, unknown, Record<string, unknown>, RegExp]> = [
      ['feature-window', 'size', 0, { unit: 's' }, /iotAi\.validation\.above/],
      ['feature-window', 'minCount', '{"temp": -1}', {}, /minCountSensor/],
      ['sensor-ingest', 'sensors', [{ name: 't', min: 5, max: 1 }], {}, /t: iotAi\.validation\.minMax/],
      ['sensor-ingest', 'schema', '{type: 1}', {}, /iotAi\.validation\.json/],
      ['actuator-command', 'limits', '{"min": 3, "max": 1}', {}, /iotAi\.validation\.minMax/],
      ['actuator-command', 'rules', [{ label: 'on', commandType: 'text', command: '{light: ON}' }], {}, /actuator-command\.validation\.rule/],
      ['ml-model', 'path', '', { bundled: '' }, /ml-model\.validation\.path/],
      ['model-train', 'maxSamples', 50, { task: 'anomaly', warmup: 100 }, /maxSamplesWarmup/],
      ['sensor-sim', 'devices', 1000, { interval: 10, speed: 1 }, /sensor-sim\.budget\.over/],
    ];
    for (const [type, name, value, others, reason] of samples) {
      const result = definition(type).defaults[name].validate!.call({ ...others, _: say }, value, {});
      assert.match(String(result), reason, `${type}.${name} = ${JSON.stringify(value)}: ${JSON.stringify(result)}`);
    }
  });
});
