import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { currentVersion, LEGACY_VALUES, migrateConfig, MIGRATIONS, NODE_DEFAULTS, PROFILE_KEYS } from '../../src/nodes/shared/migrations';
import fc from 'fast-check';
import { runs } from '../helpers/fuzz';
import { parseTrainConfig } from '../../src/core/model/train/train-config';
import { parseWindowConfig } from '../../src/core/window';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');
import featureWindow = require('../../src/nodes/feature-window');
import { sharedEditorSource } from '../helpers/editor-source';

const root = path.resolve(__dirname, '..', '..');
/** A saved config, migrated, read as plain properties. */
const migrate = (def: { id: string; type: string; [key: string]: unknown }): Record<string, any> => migrateConfig(def);
const TYPES = Object.keys(NODE_DEFAULTS);

/** Each editor's `defaults` values and the shared editor tables, as the editor defines them (editor.js run in a sandbox). */
function editorDefinitions(): { defaults: Record<string, Record<string, unknown>>; helpers: any } {
  const defaults: Record<string, Record<string, unknown>> = {};
  // In a browser the editor scripts' globals live on window: the sandbox is its own window.
  const sandbox: Record<string, any> = {
    $: () => ({}),
    RED: {
      nodes: { registerType: (type: string, def: { defaults: Record<string, { value: unknown }> }) => (defaults[type] = Object.fromEntries(Object.entries(def.defaults).map(([k, v]) => [k, v.value]))) },
      settings: {},
    },
  };
  sandbox.window = sandbox;
  vm.createContext(sandbox);
  vm.runInContext(sharedEditorSource(), sandbox);
  for (const type of fs.readdirSync(path.join(root, 'src', 'nodes'))) {
    const file = path.join(root, 'src', 'nodes', type, 'editor.js');
    if (fs.existsSync(file)) vm.runInContext(fs.readFileSync(file, 'utf8'), sandbox);
  }
  return { defaults: JSON.parse(JSON.stringify(defaults)), helpers: sandbox.IotAiEditor };
}

describe('config migrations (old saved flows)', function () {
  describe('the tables', () => {
    it('holds every node type with the defaults its editor gives a new node, and a hidden version', () => {
      const { defaults } = editorDefinitions();
      assert.deepEqual(Object.keys(defaults).sort(), [...TYPES].sort());
      for (const type of TYPES) {
        const { version, ...rest } = defaults[type];
        assert.equal(version, currentVersion(type), `${type}: a new node is saved with the current version`);
        assert.deepEqual(rest, NODE_DEFAULTS[type], `${type}: runtime defaults equal the dialog's`);
      }
    });

    it('the editor fills blank fields from the same legacy values and profile keys as the runtime', () => {
      const { helpers } = editorDefinitions();
      assert.deepEqual(JSON.parse(JSON.stringify(helpers.defaults.LEGACY)), LEGACY_VALUES);
      assert.deepEqual(JSON.parse(JSON.stringify(helpers.defaults.PROFILE_KEYS)), PROFILE_KEYS);
    });

    it("the ml-model dialog's \"configure a feature-window\" carries a model's spectral settings (#21.5)", () => {
      const { helpers } = editorDefinitions();
      const props = helpers.models.windowProperties({ window: 'tumbling', size: 5, unit: 's', features: ['mean', 'bandEnergy'], bands: '0-1, 1-3', spectralPoints: 256, fftCoefficients: 8 });
      assert.deepEqual(JSON.parse(JSON.stringify(props)), { window: 'tumbling', size: 5, unit: 's', features: ['mean', 'bandEnergy'], bands: '0-1, 1-3', spectralPoints: 256, fftCoefficients: 8 });
    });

    it('has one migration per node type, to version 1, so far', () => {
      for (const type of TYPES) assert.deepEqual(MIGRATIONS[type].map((m) => m.to), [1], type);
    });
  });

  // Migration 1, one test per node type: a config saved before each property existed (only id and type) gets
  // every property, with the value it meant then.
  for (const type of TYPES) {
    it(`${type}, migration 1: every missing property takes its default${LEGACY_VALUES[type] ? ' (what it meant before, where that differs)' : ''}`, () => {
      const migrated = migrate({ id: 'n', type });
      assert.equal(migrated.version, 1);
      for (const [key, value] of Object.entries(NODE_DEFAULTS[type])) {
        if (key === 'name') continue;
        const expected = LEGACY_VALUES[type] && key in LEGACY_VALUES[type] ? LEGACY_VALUES[type][key] : value;
        assert.deepEqual(migrated[key], expected, `${type}.${key}`);
      }
      // What the flow saved stays, a blank or false value too.
      const saved = Object.fromEntries(Object.keys(NODE_DEFAULTS[type]).filter((k) => typeof NODE_DEFAULTS[type][k] !== 'object').map((k) => [k, typeof NODE_DEFAULTS[type][k] === 'boolean' ? !NODE_DEFAULTS[type][k] : '']));
      const kept = migrate({ id: 'n', type, ...saved });
      for (const [key, value] of Object.entries(saved)) assert.deepEqual(kept[key], value, `${type}.${key} kept`);
    });
  }

  it('actuator-command: onChangeOnly absent means off in a flow saved before versions, on in a version-1 flow', () => {
    assert.equal(migrate({ id: 'a', type: 'actuator-command' }).onChangeOnly, false);
    assert.equal(migrate({ id: 'a', type: 'actuator-command', version: 1 }).onChangeOnly, true);
    assert.equal(migrate({ id: 'a', type: 'actuator-command', version: '1' }).onChangeOnly, true);
  });

  it('ml-model: watch absent never watched before versions; a version-1 config watches', () => {
    assert.equal(migrate({ id: 'm', type: 'ml-model' }).watch, false);
    assert.equal(migrate({ id: 'm', type: 'ml-model', version: 1 }).watch, true);
  });

  it('a device profile keeps supplying what the flow lacks (topics, ack, ingest fields)', () => {
    const actuator = migrate({ id: 'a', type: 'actuator-command', profile: 'tasmota' });
    for (const key of PROFILE_KEYS['actuator-command']) assert.equal(actuator[key], undefined, key);
    const ingest = migrate({ id: 'i', type: 'sensor-ingest', profile: 'zigbee2mqtt' });
    for (const key of PROFILE_KEYS['sensor-ingest']) assert.equal(ingest[key], undefined, key);
    assert.equal(migrate({ id: 'a', type: 'actuator-command' }).ack, 'none');
  });

  it('any saved config: what it holds stays, every other property gets its value, and migrating again changes nothing', () => {
    const saved = fc.oneof(fc.constant(undefined), fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.dictionary(fc.string({ maxLength: 12 }), saved, { maxKeys: 6 }), fc.boolean(), fc.option(fc.constantFrom(0, 1, '1', 'x'), { nil: undefined }), (type, extra, withKnown, version) => {
        const known = Object.keys(NODE_DEFAULTS[type]);
        const picked = withKnown ? Object.fromEntries(known.slice(0, 4).map((key, i) => [key, i % 2 ? 'kept' : 0])) : {};
        const def: Record<string, unknown> & { id: string; type: string } = { ...extra, ...picked, id: 'n', type, ...(version === undefined ? {} : { version }) };
        const migrated = migrate(def);
        for (const [key, value] of Object.entries(def)) if (value !== undefined && key !== 'version') assert.deepEqual(migrated[key], value, key);
        for (const key of known) {
          if (key === 'name' || def[key] !== undefined) continue;
          const fromProfile = (PROFILE_KEYS[type] ?? []).includes(key) && ![undefined, null, '', 'generic'].includes(def.profile as string);
          assert.equal(migrated[key] === undefined, fromProfile, `${type}.${key}`);
        }
        assert.ok(Number.isInteger(migrated.version) && migrated.version >= 1);
        assert.deepEqual(migrate(migrated as { id: string; type: string }), migrated);
      }),
      { numRuns: runs(200, 5000) },
    );
  });

  it('model-train saved before live forecasts (#16): blank target and horizon, so its windows keep their labels as before', () => {
    const old = migrate({ id: 't', type: 'model-train', task: 'regression', every: 20 });
    assert.equal(old.target, '');
    assert.equal(old.horizon, '');
    const parsed = parseTrainConfig(old);
    assert.ok(parsed.ok && parsed.config.horizon === undefined && parsed.config.target === '', JSON.stringify(parsed));
  });

  it('feature-window saved before spectral features (#21.5): default bands, 64 points, 4 coefficients, and the same windows as before', () => {
    const old = migrate({ id: 'w', type: 'feature-window', version: 1, window: 'tumbling', size: 10, unit: 's', features: ['mean', 'std'] });
    assert.deepEqual([old.bands, old.spectralPoints, old.fftCoefficients], ['0-0.5, 0.5-3, 3-8, 8-25', 64, 4]);
    const before = parseWindowConfig({ window: 'tumbling', size: 10, unit: 's', features: ['mean', 'std'] });
    const after = parseWindowConfig(old);
    assert.ok(before.ok && after.ok);
    assert.deepEqual(after.config, before.config, 'no spectral feature selected: nothing changes');
  });

  it('does not change the config it is given, and copies default lists', () => {
    const def = { id: 'w', type: 'feature-window' };
    const a = migrate(def);
    (a.features as string[]).push('slope');
    assert.deepEqual(def, { id: 'w', type: 'feature-window' });
    assert.deepEqual(migrate(def).features, NODE_DEFAULTS['feature-window'].features);
  });

  describe('at runtime', () => {
    beforeEach(() => helper.startServer());
    afterEach(async () => {
      await helper.unload();
      await helper.stopServer();
    });
    const prediction = (label: string) => ({ payload: { deviceId: 'lamp', prediction: { label, confidence: 1 } } });

    it('an actuator-command saved before versions (no onChangeOnly) re-sends as it did; a new one sends a change only', async () => {
      const rules = [{ label: 'on', command: { state: 'ON' } }];
      await helper.load(actuatorCommand, harness('actuator-command', { rules }));
      let out1 = collect('out1');
      for (let i = 0; i < 3; i++) getNode('n1').receive(prediction('on'));
      await out1.next(3);
      await helper.unload();

      await helper.load(actuatorCommand, harness('actuator-command', { rules, version: 1 }));
      out1 = collect('out1');
      const out2 = collect('out2');
      for (let i = 0; i < 3; i++) getNode('n1').receive(prediction('on'));
      const outcomes = await out2.next(3);
      assert.deepEqual(outcomes.map((m) => m.payload.detail ?? m.payload.status).slice(1), ['unchanged', 'unchanged']);
      await settle();
      assert.equal(out1.messages.length, 1);
    });

    it('a sliding feature-window saved without slide runs with the default slide instead of failing its config', async () => {
      await helper.load(featureWindow, harness('feature-window', { window: 'sliding', size: 20, unit: 's', sensors: 't', features: ['mean'] }));
      const out1 = collect('out1');
      const caught = collect('caught');
      const n1 = getNode('n1');
      for (const ts of [0, 5000, 12000, 25000]) n1.receive({ payload: { deviceId: 'd', sensor: 't', value: ts / 1000, ts } });
      const [first] = await out1.next(1);
      // Windows of 20 s every 10 s (the default slide): the first to close is [-10 s, 10 s).
      assert.deepEqual([first.payload.start, first.payload.end], [-10000, 10000]);
      assert.equal(caught.messages.length, 0);
    });

    it('a version-1 feature-window saved without timeZone gets UTC calendar features; one with Europe/Berlin gets local ones (#16)', async () => {
      // 2026-07-01 10:00 UTC is 12:00 in Berlin (summer time): hourSin is 0.5 in UTC and 0 in Berlin.
      const end = Date.UTC(2026, 6, 1, 10, 0);
      const run = async (extra: Record<string, unknown>): Promise<Record<string, number>> => {
        await helper.load(featureWindow, harness('feature-window', { version: 1, window: 'tumbling', size: 60, unit: 'min', sensors: 't', features: ['mean', 'calendar'], ...extra }));
        const out1 = collect('out1');
        const n1 = getNode('n1');
        for (const ts of [end - 60_000, end + 60_000]) n1.receive({ payload: { deviceId: 'd', sensor: 't', value: 1, ts } });
        const [window] = await out1.next(1);
        assert.equal(window.payload.end, end);
        await helper.unload();
        return window.payload.features;
      };
      const utc = await run({});
      assert.ok(Math.abs(utc['calendar.hourSin'] - 0.5) < 1e-9, `UTC hourSin ${utc['calendar.hourSin']}`);
      assert.ok(Math.abs(utc['calendar.hourCos'] + Math.sqrt(3) / 2) < 1e-9);
      const berlin = await run({ timeZone: 'Europe/Berlin' });
      assert.ok(Math.abs(berlin['calendar.hourSin']) < 1e-9, `Berlin hourSin ${berlin['calendar.hourSin']}`);
      assert.ok(Math.abs(berlin['calendar.hourCos'] + 1) < 1e-9);
      assert.equal(berlin['t.mean'], 1);
    });
  });
});
