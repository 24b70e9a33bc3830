#!/usr/bin/env node
// Rebuilds the bundled models in models/ from simulated data, with the package's own commands:
//   iot-ai simulate --csv (readings with their truth) → iot-ai train --window (the sample flows' window settings).
// Deterministic for the seeds below. Usage: npm run models [-- --only home-occupancy]
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const work = path.join(root, '.scratch', 'models');
const cli = path.join(root, 'bin', 'iot-ai.js');

if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')) || !fs.existsSync(path.join(root, 'dist', 'core', 'sim', 'samples.js'))) {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}
// The sensors and features of the samples: src/core/sim/samples.ts, which scripts/flows.js reads too.
const { FORECAST_FEATURES, SAMPLE_FEATURES, sampleSensorNames } = require(path.join(root, 'dist', 'core', 'sim'));
/** The window every sample flow uses: sliding 60 s every 10 s; models train on the same features (tumbling). */
const FEATURES = [...SAMPLE_FEATURES];
const SENSORS = { home: sampleSensorNames('home'), city: sampleSensorNames('city'), health: sampleSensorNames('health') };
const windowFor = (sensors) => ({ window: 'tumbling', size: 60, unit: 's', sensors, features: FEATURES, fill: 'previous' });

const MODELS = [
  { name: 'home-occupancy', scenario: 'home', label: 'truth.occupancy', sensors: SENSORS.home, devices: 10, seed: 11 },
  { name: 'city-congestion', scenario: 'city', label: 'truth.congestion', sensors: SENSORS.city, devices: 8, seed: 12 },
  { name: 'city-air-quality', scenario: 'city', label: 'truth.airQuality', sensors: SENSORS.city, devices: 8, seed: 12 },
  { name: 'health-activity', scenario: 'health', label: 'truth.activity', sensors: SENSORS.health, devices: 10, seed: 13 },
  { name: 'health-abnormal', scenario: 'health', label: 'truth.abnormal', sensors: SENSORS.health, devices: 30, seed: 14 },
];

/**
 * Forecast models (docs/forecasting.md#in-the-sample-flows): each window is labelled by what its device reported
 * `horizon` later (`iot-ai train --horizon`), so no person labels anything. The window is the sample flows' forecast
 * window (scripts/flows.js forecastWindow): sliding 10 min every minute, the sample features and `calendar` (UTC, the
 * simulator's clock), as the rhythms a forecast can learn are daily. Two weeks of simulated time (weekdays and two
 * weekends; the newest fifth, held out, is the second Friday to Sunday), small forests (models/ stays small).
 */
const FORECAST_WINDOW = (sensors) => ({ window: 'sliding', size: 10, slide: 1, unit: 'min', sensors, features: [...FORECAST_FEATURES], fill: 'previous' });
const FORECAST_DAYS = 14;
const FORECASTS = [
  { name: 'home-occupancy-30min', scenario: 'home', label: 'truth.occupancy', task: 'classification', horizon: '30min', sensors: SENSORS.home, devices: 10, seed: 21 },
  { name: 'city-congestion-15min', scenario: 'city', label: 'truth.congestion', task: 'classification', horizon: '15min', sensors: SENSORS.city, devices: 8, seed: 22 },
  { name: 'city-air-quality-3h', scenario: 'city', label: 'truth.airQuality', task: 'classification', horizon: '3h', sensors: SENSORS.city, devices: 8, seed: 22 },
  // The caregiver's forecast: the wearer's heart rate 30 minutes ahead, learnt from the heart-rate sensor itself
  // (a sensor and the target at once), so a rise (a resting rate creeping up, a run coming) shows before it happens.
  { name: 'health-heart-rate-30min', scenario: 'health', label: 'heartRate', task: 'regression', horizon: '30min', sensors: SENSORS.health, devices: 10, seed: 23 },
];

/**
 * Anomaly models, learnt without labels. health-heart-anomaly: heart rate while the wearer is at rest (the health
 * flow sends only windows with accel.std below REST_ACCEL_STD to it); truth.abnormal only measures it.
 */
const REST_ACCEL_STD = 1.2;
const ANOMALY_MODELS = [
  {
    name: 'health-heart-anomaly', scenario: 'health', devices: 30, seed: 14, sensors: SENSORS.health,
    features: ['heartRate.mean', 'heartRate.min', 'heartRate.max'], keep: (row) => Number(row['accel.std']) < REST_ACCEL_STD,
    truth: 'truth.abnormal', method: 'robust-z', contamination: 0.005,
  },
  // city-sensor-anomaly: the air-quality sensors of a junction (the smart-city flow's sensor check, and the shared
  // fallback of the baselines it learns per junction); simulated with sensor faults, truth.anomaly only measures.
  {
    name: 'city-sensor-anomaly', scenario: 'city', devices: 8, seed: 15, anomalies: 0.02, sensors: ['pm25', 'no2'],
    // Sorted, as model-train orders the features it collects: the per-junction parts share the seed's names.
    features: ['pm25', 'no2'].flatMap((sensor) => FEATURES.map((feature) => `${sensor}.${feature}`)).sort(),
    keep: () => true, truth: 'truth.anomaly', method: 'robust-z', contamination: 0.01,
  },
];

/** Says in the report `iot-ai train` wrote beside a model that it is generated (.gitattributes marks it too). */
const GENERATED = '<!-- generated by scripts/build-models.js (npm run models, via iot-ai train): do not edit -->';
function markGenerated(modelFile) {
  const report = modelFile.replace(/\.json$/, '.report.html');
  if (!fs.existsSync(report)) return;
  const html = fs.readFileSync(report, 'utf8');
  if (!html.includes(GENERATED)) fs.writeFileSync(report, html.replace(/^(<!doctype html>\n)?/i, (doctype) => `${doctype}${GENERATED}\n`));
}

function run(args) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    console.error(`build-models: iot-ai ${args.join(' ')} failed`);
    process.exit(1);
  }
}

fs.mkdirSync(work, { recursive: true });
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
function simulated(model, days = 2) {
  const anomalies = model.anomalies ? ['--anomalies', String(model.anomalies)] : [];
  const csv = path.join(work, `${model.scenario}-${model.devices}-${model.seed}${model.anomalies ? `-a${model.anomalies}` : ''}${days !== 2 ? `-${days}d` : ''}.csv`);
  if (!fs.existsSync(csv)) {
    run(['simulate', '--scenario', model.scenario, '--csv', csv, '--devices', String(model.devices), '--seed', String(model.seed), '--duration', String(days * 86400), ...anomalies]);
  }
  return csv;
}
for (const model of MODELS.filter((m) => !only || m.name === only)) {
  const csv = simulated(model);
  const windowFile = path.join(work, `${model.name}.window.json`);
  fs.writeFileSync(windowFile, JSON.stringify(windowFor(model.sensors)));
  run([
    'train', '--data', csv, '--window', windowFile, '--label', model.label, '--task', 'classification',
    '--out', path.join(root, 'models', `${model.name}.json`), '--name', model.name, '--version', '1.0.0',
    '--trees', '40', '--max-depth', '12', '--min-samples-leaf', '3', '--seed', String(model.seed),
  ]);
  markGenerated(path.join(root, 'models', `${model.name}.json`));
}

// Forecast models: `iot-ai train --window --horizon`; its stdout compares each with persistence and 24 hours earlier,
// and the model's metrics.skill keeps the figures (printed again here, one line per model).
for (const model of FORECASTS.filter((m) => !only || m.name === only)) {
  const csv = simulated(model, FORECAST_DAYS);
  const windowFile = path.join(work, `${model.name}.window.json`);
  fs.writeFileSync(windowFile, JSON.stringify(FORECAST_WINDOW(model.sensors)));
  const out = path.join(root, 'models', `${model.name}.json`);
  run([
    'train', '--data', csv, '--window', windowFile, '--label', model.label, '--task', model.task, '--horizon', model.horizon,
    '--out', out, '--name', model.name, '--version', '1.0.0',
    '--trees', '25', '--max-depth', '8', '--min-samples-leaf', '5', '--seed', String(model.seed),
  ]);
  markGenerated(out);
  const skill = JSON.parse(fs.readFileSync(out, 'utf8')).metrics.skill;
  const score = (s) => (skill.task === 'regression' ? `MAE ${s.modelMae.toFixed(3)} vs ${s.mae.toFixed(3)}` : `accuracy ${s.modelAccuracy?.toFixed(4)} vs ${s.accuracy?.toFixed(4)}`);
  console.log(`build-models: ${model.name}: skill over persistence ${skill.persistence?.skill?.toFixed(3)} (${score(skill.persistence)}), over 24 h earlier ${skill.dayBefore?.skill?.toFixed(3)}`);
}

// Anomaly models: window the readings, keep the windows the flow would send to the model, and learn without the
// label; the label column is read only for the held-out figures.
const { parseCsv, formatCsv } = require(path.join(root, 'dist', 'core', 'model', 'data', 'csv.js'));
for (const model of ANOMALY_MODELS.filter((m) => !only || m.name === only)) {
  const csv = simulated(model);
  const windowFile = path.join(work, `${model.name}.window.json`);
  fs.writeFileSync(windowFile, JSON.stringify(windowFor(model.sensors)));
  const windowsCsv = path.join(work, `${model.name}.windows.csv`);
  run(['window', '--data', csv, '--window', windowFile, '--out', windowsCsv, '--label', model.truth]);
  const parsed = parseCsv(fs.readFileSync(windowsCsv, 'utf8'));
  if (!parsed.ok) throw new Error(`${windowsCsv}: ${parsed.error.message}`);
  const { header, rows } = parsed.table;
  const columns = ['deviceId', ...model.features, model.truth];
  const at = columns.map((name) => header.indexOf(name));
  const kept = path.join(work, `${model.name}.csv`);
  const windows = rows.filter((cells) => model.keep(Object.fromEntries(header.map((name, i) => [name, cells[i]]))));
  fs.writeFileSync(kept, formatCsv([columns, ...windows.map((cells) => at.map((i) => cells[i]))]));
  const out = path.join(root, 'models', `${model.name}.json`);
  run([
    'train', '--task', 'anomaly', '--data', kept, '--label', model.truth, '--method', model.method,
    '--contamination', String(model.contamination), '--out', out,
    '--name', model.name, '--version', '1.0.0', '--seed', String(model.seed),
  ]);
  keepWindow(out, windowFor(model.sensors));
  markGenerated(out);
}

/**
 * The anomaly models learn from windows computed above, not by `train --window`: their file is given the window
 * here, as `train --window` writes it for the others (docs/model-format.md#the-training-window).
 */
function keepWindow(file, window) {
  const { parseModelFile, serializeModel, trainingWindowOf } = require(path.join(root, 'dist', 'core', 'model', 'index.js'));
  const parsed = parseModelFile(fs.readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  fs.writeFileSync(file, serializeModel({ ...parsed.model, window: trainingWindowOf(window) }));
}

/**
 * The "bring your own model" sample (docs/import.md): an XGBoost model trained outside the palette, as a user would
 * in a notebook (scripts/xgboost-home.py, Debian's python3-xgboost), on the home scenario's windows from
 * `iot-ai window`, and shipped as XGBoost's own JSON: ml-model converts it at load. Its check files (a slice of the
 * held-out windows and XGBoost's probabilities of them) go to test/fixtures/import/xgboost-home/, where a test proves
 * the conversion exact. Skipped, with a line, where python3-xgboost is missing.
 */
const XGBOOST_MODELS = [{ name: 'home-occupancy-xgboost', scenario: 'home', label: 'truth.occupancy', sensors: SENSORS.home, devices: 10, seed: 11 }];
for (const model of XGBOOST_MODELS.filter((m) => !only || m.name === only)) {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (spawnSync(python, ['-c', 'import xgboost']).status !== 0) {
    console.log(`build-models: ${model.name} skipped: it needs python3 with xgboost (apt-get install -y python3-xgboost)`);
    continue;
  }
  const csv = simulated(model);
  const windowFile = path.join(work, `${model.name}.window.json`);
  fs.writeFileSync(windowFile, JSON.stringify(windowFor(model.sensors)));
  const windowsCsv = path.join(work, `${model.name}.windows.csv`);
  run(['window', '--data', csv, '--window', windowFile, '--out', windowsCsv, '--label', model.label]);
  const fixtures = path.join(root, 'test', 'fixtures', 'import', 'xgboost-home');
  fs.mkdirSync(fixtures, { recursive: true });
  const trained = spawnSync(python, [path.join(__dirname, 'xgboost-home.py'), windowsCsv, path.join(root, 'models', `${model.name}.json`), path.join(fixtures, 'data.csv'), path.join(fixtures, 'expected.csv')], { stdio: 'inherit' });
  if (trained.status !== 0) {
    console.error(`build-models: ${model.name}: scripts/xgboost-home.py failed`);
    process.exit(1);
  }
}
