import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORECAST_FEATURES, SAMPLE_FEATURES, sampleSensorNames, sampleSensors } from '../../src/core/sim';
import { CALENDAR_KEYS } from '../../src/core/window/calendar';
import { SCENARIOS, type ScenarioName } from '../../src/core/sim/types';
import { importModel, needsImport } from '../../src/core/model/import/import-model';

const root = path.join(__dirname, '..', '..');
type FlowNode = { id: string; type: string; z?: string; sensors?: unknown; features?: unknown; timeZone?: unknown; window?: unknown; size?: unknown; slide?: unknown; unit?: unknown };

/** The scenario whose sensor names hold all of `names`, in the simulator's order. */
function scenarioOf(names: string[]): ScenarioName {
  const found = SCENARIOS.find((s) => {
    const all = sampleSensorNames(s);
    const at = names.map((n) => all.indexOf(n));
    return at.every((i, k) => i !== -1 && (k === 0 || i > at[k - 1]));
  });
  assert.ok(found, `no scenario has the sensors ${names.join(', ')} in this order`);
  return found;
}

/** Issue #20.3: the sample flows and the bundled models window the sensors and features of src/core/sim/samples.ts. */
describe('sample sensors and features: one source (src/core/sim/samples.ts)', () => {
  const flows = fs.readdirSync(path.join(root, 'flows')).filter((f) => f.endsWith('.json'));

  it('every sample flow\'s sensor-ingest lists its scenario\'s sensors, and every feature-window the sample features (a forecast tab\'s: and calendar, UTC)', () => {
    assert.ok(flows.length >= 5);
    let ingests = 0;
    let windows = 0;
    let forecastWindows = 0;
    for (const file of flows) {
      const nodes = JSON.parse(fs.readFileSync(path.join(root, 'flows', file), 'utf8')) as FlowNode[];
      for (const node of nodes) {
        if (node.type === 'sensor-ingest' && Array.isArray(node.sensors)) {
          ingests++;
          const names = (node.sensors as Array<{ name: string }>).map((s) => s.name);
          assert.deepEqual(node.sensors, sampleSensors(scenarioOf(names)), `${file} ${node.id}`);
        }
        if (node.type === 'feature-window' && String(node.z).endsWith('-fc-tab')) {
          // Issue 16: the forecast tabs' window is the one the bundled forecast models were trained on.
          forecastWindows++;
          assert.deepEqual(node.features, [...FORECAST_FEATURES], `${file} ${node.id}`);
          assert.deepEqual([node.window, node.size, node.slide, node.unit, node.timeZone], ['sliding', 10, 1, 'min', 'UTC'], `${file} ${node.id}`);
          scenarioOf(String(node.sensors).split(',').map((s) => s.trim()));
        } else if (node.type === 'feature-window') {
          windows++;
          assert.deepEqual(node.features, [...SAMPLE_FEATURES], `${file} ${node.id}`);
          scenarioOf(String(node.sensors).split(',').map((s) => s.trim()));
        }
      }
    }
    assert.ok(ingests >= 8 && windows >= 6 && forecastWindows === 3, `${ingests} ingests, ${windows} windows, ${forecastWindows} forecast windows`);
  });

  it('every bundled model was trained on a sample window: its scenario\'s sensors, the sample features', () => {
    const models = fs.readdirSync(path.join(root, 'models')).filter((f) => f.endsWith('.json'));
    assert.ok(models.length >= 7);
    for (const file of models) {
      // The XGBoost sample (converted at load) learnt the same windows: its inputs are the home window's features.
      if (needsImport(fs.readFileSync(path.join(root, 'models', file)), file)) {
        const imported = importModel(fs.readFileSync(path.join(root, 'models', file)), { labels: ['empty', 'occupied'] });
        assert.ok(imported.ok, file);
        // ... but the light, which the sample flow switches on its word (scripts/xgboost-home.py).
        const inputs = sampleSensorNames('home').filter((sensor) => sensor !== 'light');
        assert.deepEqual(imported.model.featureNames, inputs.flatMap((sensor) => SAMPLE_FEATURES.map((feature) => `${sensor}.${feature}`)), file);
        continue;
      }
      const model = JSON.parse(fs.readFileSync(path.join(root, 'models', file), 'utf8'));
      const scenario = file.split('-')[0] as ScenarioName;
      assert.ok(SCENARIOS.includes(scenario), `${file} is named after its scenario`);
      // Forecast models (a horizon) learn the forecast tabs' window: the sample features and calendar.
      const forecast = typeof model.horizon === 'number';
      assert.deepEqual(model.window.features, forecast ? [...FORECAST_FEATURES] : [...SAMPLE_FEATURES], file);
      if (forecast) assert.deepEqual([model.window.window, model.window.size, model.window.slide, model.window.unit], ['sliding', 10, 1, 'min'], file);
      assert.equal(scenarioOf(model.window.sensors), scenario, file);
      // The labelled models learn every sensor of their scenario; each feature is a sample feature of a window sensor.
      if (model.task !== 'anomaly') assert.deepEqual(model.window.sensors, sampleSensorNames(scenario), file);
      for (const name of model.featureNames as string[]) {
        if (forecast && (CALENDAR_KEYS as readonly string[]).includes(name)) continue;
        const [sensor, feature] = name.split('.');
        assert.ok(model.window.sensors.includes(sensor) && (SAMPLE_FEATURES as readonly string[]).includes(feature), `${file}: ${name}`);
      }
    }
  });

  it('issue 16: each pipeline sample\'s forecasts tab publishes every forecast model\'s output as it is on iot-ai/<scenario>/forecasts/<key> (the topic dashboards subscribe to)', () => {
    const expected: Record<string, Record<string, [string, number]>> = {
      'smart-home.json': { occupancy: ['home-occupancy-30min', 30 * 60000] },
      'smart-city.json': { congestion: ['city-congestion-15min', 15 * 60000], air: ['city-air-quality-3h', 3 * 3600000] },
      'health.json': { 'heart-rate': ['health-heart-rate-30min', 30 * 60000] },
    };
    for (const [file, keys] of Object.entries(expected)) {
      const nodes = JSON.parse(fs.readFileSync(path.join(root, 'flows', file), 'utf8')) as Array<FlowNode & Record<string, any>>;
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const scenario = file === 'health.json' ? 'health' : file === 'smart-home.json' ? 'home' : 'city';
      const published: Record<string, [string, number]> = {};
      for (const predict of nodes.filter((n) => n.type === 'model-predict' && String(n.z).endsWith('-fc-tab'))) {
        const model = byId.get(predict.model)!;
        const modelFile = JSON.parse(fs.readFileSync(path.join(root, 'models', `${model.bundled}.json`), 'utf8'));
        // Wired straight from the predict node's first output: the payload as model-predict gives it.
        for (const out of (predict.wires[0] as string[]).map((id) => byId.get(id)!).filter((n) => n.type === 'mqtt out' && /\/forecasts\//.test(n.topic))) {
          const match = new RegExp(`^iot-ai/${scenario}/forecasts/([a-z-]+)$`).exec(out.topic);
          assert.ok(match, out.topic);
          published[match[1]] = [model.bundled, modelFile.horizon];
        }
        // Fed by the forecast window, which is the window the model was trained on.
        const window = nodes.find((n) => n.type === 'feature-window' && (n.wires[0] as string[]).includes(predict.id))!;
        for (const key of ['window', 'size', 'slide', 'unit', 'sensors', 'features'] as const) {
          const value = key === 'sensors' ? String(window.sensors).split(',').map((x) => x.trim()) : window[key];
          assert.deepEqual(value, modelFile.window[key], `${model.bundled}: ${key}`);
        }
      }
      assert.deepEqual(published, keys, file);
    }
  });

  it('scripts/flows.js and scripts/build-models.js read them from core, with no copy of their own', () => {
    for (const script of ['flows.js', 'build-models.js']) {
      const text = fs.readFileSync(path.join(root, 'scripts', script), 'utf8');
      assert.match(text, /SAMPLE_FEATURES/, script);
      assert.doesNotMatch(text, /'mean',\s*'std'/, `${script} lists the sample features itself`);
      for (const scenario of SCENARIOS) {
        const [first, second] = sampleSensorNames(scenario);
        assert.doesNotMatch(text, new RegExp(`'${first}',\\s*'${second}'`), `${script} lists the ${scenario} sensors itself`);
      }
    }
  });
});
