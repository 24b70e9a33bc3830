#!/usr/bin/env node
// Writes the dashboard examples in flows/dashboard/ (smart home, smart city, health) for FlowFuse Dashboard 2
// (@flowfuse/node-red-dashboard). The palette does not depend on Dashboard 2: these examples need it installed
// (npm start installs it into its own user directory; elsewhere: Manage palette › Install). Each dashboard is its own
// tab that only listens on MQTT to what its sample flow (flows/<scenario>.json) publishes, so it can be added to or
// removed from a running pipeline without touching it:
//   <scenario>/+/sensors                 the devices' readings (charted per sensor, one series per device)
//   <scenario>/+/truth                   the simulator's truth (what each prediction is scored against)
//   iot-ai/<scenario>/predictions/<key>  predictions, with their explanations (model-predict `explain`)
//   iot-ai/<scenario>/forecasts/<key>    forecasts (prediction.at, prediction.interval), scored when their time comes
//   iot-ai/<scenario>/outcomes/<key>     each command's outcome (sent, acked, failed ...) with its reason
//   iot-ai/<scenario>/alarms             anomaly-detect's alarms (the first window of each unusual episode)
// `node scripts/dashboards.js [dir]` after changing this file (dir: flows/dashboard by default).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { placeOnGrid } = require('./layout');

const root = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(root, 'dist', 'core', 'sim', 'samples.js'))) {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}
const { sampleSensors, SAMPLE_TRUTH } = require(path.join(root, 'dist', 'core', 'sim'));

/** The Dashboard 2 release the examples were made with (npm start installs it; scripts/dashboard.js). */
const { DASHBOARD_PACKAGE } = require('./dashboard');
/** The truth field each sample forecast is scored against (shared with npm start's summary). */
const { FORECAST_TRUTH_OF } = require('./forecast-tally');

/** Shared by every dashboard example (same ids): importing several gives one dashboard with a page each. */
const BASE = { id: 'iot-ai-dashboard-base', type: 'ui-base', name: 'IoT AI', path: '/dashboard', appIcon: '', includeClientData: true, acceptsClientConfig: ['ui-notification', 'ui-control'], showPathInSidebar: false, headerContent: 'page', navigationStyle: 'default', titleBarStyle: 'default', showReconnectNotification: true, notificationDisplayTime: 1, showDisconnectNotification: true, allowInstall: false };
const THEME = { id: 'iot-ai-dashboard-theme', type: 'ui-theme', name: 'IoT AI', colors: { surface: '#1f3a5f', primary: '#1f6fb2', bgPage: '#f4f6f8', groupBg: '#ffffff', groupOutline: '#d9dde3' }, sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '4px', widgetGap: '12px' } };
const BROKER = { id: 'iot-ai-local-broker', type: 'mqtt-broker', name: 'local broker', broker: '127.0.0.1', port: '1883', clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true };

/** What each scenario's dashboard shows: charted sensors, predictions (truth field), forecasts, commands, alarms. */
const SCENARIOS = {
  home: {
    label: 'smart home', page: 'Smart home', path: '/home', order: 1, flow: 'smart-home.json',
    charts: ['temperature', 'co2', 'light'],
    predictions: ['occupancy'], commands: ['occupancy'], forecasts: ['occupancy'], alarms: false,
  },
  city: {
    label: 'smart city', page: 'Smart city', path: '/city', order: 2, flow: 'smart-city.json',
    charts: ['vehicles', 'speed', 'pm25'],
    predictions: ['congestion', 'air'], commands: ['congestion', 'air'], forecasts: ['congestion', 'air'], alarms: true,
  },
  health: {
    label: 'health', page: 'Health', path: '/health', order: 3, flow: 'health.json',
    charts: ['heartRate', 'accel', 'skinTemp'],
    predictions: ['activity', 'heart'], commands: ['heart'], forecasts: ['heart-rate'], alarms: true,
  },
};

/** A function node's code from a real function (so this file lints it), with constants written in front. */
function code(fn, constants = {}) {
  const source = fn.toString();
  const body = source.slice(source.indexOf('{') + 1, source.lastIndexOf('}'));
  const lines = Object.entries(constants).map(([name, value]) => `const ${name} = ${JSON.stringify(value)};`);
  return `${lines.join('\n')}\n${body.replace(/^\n/, '').replace(/^ {2}/gm, '')}`.trim() + '\n';
}

/* The functions below run in Node-RED's function node (msg, context, flow and node are its globals). */

/** Readings → one chart per sensor: series = device, y = the reading's value, x = its own time. */
function perSensor(msg) {
  const reading = msg.payload || {};
  const at = SENSORS.indexOf(reading.sensor);
  if (at < 0 || typeof reading.value !== 'number') return null;
  // Each device's latest reading time: what the forecast scorer knows as "now" for that device.
  const seen = flow.get('deviceTime') || {};
  seen[reading.deviceId] = Math.max(seen[reading.deviceId] || 0, reading.ts);
  flow.set('deviceTime', seen);
  const out = SENSORS.map(() => null);
  out[at] = { topic: reading.deviceId, payload: { ts: reading.ts, value: reading.value } };
  return out;
}

/**
 * Truth and predictions → (1) the latest prediction of each device beside the truth, (2) each model's accuracy over
 * its newest 100 predictions (%), (3) the latest explanation of each device's decision.
 */
function scorePredictions(msg) {
  const state = context.get('state') || { truth: {}, latest: {}, recent: {}, why: {} };
  const parts = String(msg.topic || '').split('/');
  if (parts[0] !== 'iot-ai') {
    // <scenario>/<device>/truth
    state.truth[parts[1]] = msg.payload;
    context.set('state', state);
    return null;
  }
  const key = parts[3];
  const p = msg.payload || {};
  const prediction = p.prediction || {};
  const device = p.deviceId || msg.topic;
  const truth = state.truth[device] || {};
  const field = TRUTH_OF[key];
  const raw = field ? truth[field] : undefined;
  const predicted = prediction.label === 'anomaly' ? 'true' : prediction.label === 'normal' ? 'false' : String(prediction.label);
  const actual = raw === undefined ? undefined : String(raw);
  state.latest[`${key}/${device}`] = {
    device, model: key, predicted: String(prediction.label), truth: actual === undefined ? '' : raw === true ? 'anomaly' : raw === false ? 'normal' : actual,
    confidence: typeof prediction.confidence === 'number' ? Math.round(prediction.confidence * 100) / 100 : '',
    agrees: actual === undefined ? '' : predicted === actual ? 'yes' : 'no',
  };
  let accuracy = null;
  if (actual !== undefined) {
    const recent = (state.recent[key] = state.recent[key] || []);
    recent.push(predicted === actual ? 1 : 0);
    if (recent.length > 100) recent.shift();
    accuracy = { topic: key, payload: Math.round((1000 * recent.reduce((a, b) => a + b, 0)) / recent.length) / 10 };
  }
  let why = null;
  const explanation = prediction.explanation;
  if (explanation && Array.isArray(explanation.contributions)) {
    state.why[`${key}/${device}`] = {
      device, model: key, decision: String(prediction.label ?? prediction.value),
      why: explanation.contributions.map((c) => `${c.feature} ${c.contribution >= 0 ? '+' : ''}${Number(c.contribution).toPrecision(2)}`).join(', '),
    };
    why = { payload: Object.values(state.why).sort((a, b) => (a.model + a.device).localeCompare(b.model + b.device)) };
  }
  context.set('state', state);
  const rows = Object.values(state.latest).sort((a, b) => (a.model + a.device).localeCompare(b.model + b.device));
  return [{ payload: rows }, accuracy, why];
}

/**
 * Forecasts and truth → (1) the latest forecast of each device (what, when for, interval), (2) each forecast's
 * accuracy (classification, %) or mean absolute error (regression) over its newest 100 that came due, scored against
 * the truth once the device's readings reach the forecast's time (`prediction.at`). Pending forecasts are bounded.
 */
function scoreForecasts(msg) {
  const state = context.get('state') || { truth: {}, pending: {}, latest: {}, recent: {} };
  const parts = String(msg.topic || '').split('/');
  const now = flow.get('deviceTime') || {};
  if (parts[0] !== 'iot-ai') {
    const device = parts[1];
    state.truth[device] = msg.payload;
    const time = now[device];
    const out = [];
    for (const id of Object.keys(state.pending)) {
      const [key, dev] = id.split('|');
      if (dev !== device || time === undefined) continue;
      const queue = state.pending[id];
      while (queue.length > 0 && queue[0].at <= time) {
        const due = queue.shift();
        const raw = msg.payload ? msg.payload[TRUTH_OF[key] || key] : undefined;
        if (raw === undefined) continue;
        const recent = (state.recent[key] = state.recent[key] || []);
        if (typeof due.value === 'number' && typeof raw === 'number') recent.push(Math.abs(due.value - raw));
        else {
          const actual = raw === true ? 'anomaly' : raw === false ? 'normal' : String(raw);
          recent.push(String(due.label) === actual ? 100 : 0);
        }
        if (recent.length > 100) recent.shift();
        out.push({ topic: key, payload: Math.round((10 * recent.reduce((a, b) => a + b, 0)) / recent.length) / 10 });
      }
    }
    context.set('state', state);
    return [null, out];
  }
  const key = parts[3];
  const p = msg.payload || {};
  const prediction = p.prediction || {};
  const device = p.deviceId || msg.topic;
  if (typeof prediction.at !== 'number') return null;
  const id = `${key}|${device}`;
  const queue = (state.pending[id] = state.pending[id] || []);
  queue.push({ at: prediction.at, label: prediction.label, value: prediction.value });
  if (queue.length > 1000) queue.shift();
  const interval = Array.isArray(prediction.interval) ? prediction.interval.map((v) => Number(v).toPrecision(3)).join(' – ') : '';
  state.latest[id] = {
    device, forecast: key, 'in minutes': typeof prediction.horizon === 'number' ? Math.round(prediction.horizon / 60000) : '',
    says: prediction.label !== undefined ? String(prediction.label) : Number(prediction.value).toPrecision(3), interval,
    for: new Date(prediction.at).toISOString().slice(11, 16) + ' UTC',
    confidence: typeof prediction.confidence === 'number' ? Math.round(prediction.confidence * 100) / 100 : '',
  };
  context.set('state', state);
  return [{ payload: Object.values(state.latest).sort((a, b) => (a.forecast + a.device).localeCompare(b.forecast + b.device)) }, null];
}

/**
 * Command outcomes → the newest 12, newest first: when, device, which actuator, its status and detail (a sent
 * command's detail starts with its reason: the rule, and why the model decided). Predictions that changed nothing
 * (suppressed: unchanged, cooldown ...) are counted in the header, not listed.
 */
function commandLog(msg) {
  const state = context.get('state') || { log: [], suppressed: 0 };
  const o = msg.payload || {};
  if (o.status === 'suppressed') {
    state.suppressed++;
    context.set('state', state);
    node.status({ text: `${state.suppressed} suppressed (nothing to change)` });
    return null;
  }
  const parts = String(msg.topic || '').split('/');
  state.log.unshift({
    time: new Date(o.ts || Date.now()).toISOString().slice(11, 19), device: o.deviceId || '', actuator: parts[3] || '',
    status: o.status || '', detail: String(o.detail || (o.error && o.error.message) || '').slice(0, 200),
  });
  if (state.log.length > 12) state.log.length = 12;
  context.set('state', state);
  return { payload: state.log };
}

/**
 * Predictions → the features that have drifted, per device and model (model-predict's prediction.drift, there only
 * while the live features have left the training distribution: largest PSI first), newest first.
 */
function driftTable(msg) {
  const rows = context.get('rows') || {};
  const p = msg.payload || {};
  const drift = (p.prediction || {}).drift;
  const key = String(msg.topic || '').split('/')[3] || '';
  const id = `${key}|${p.deviceId || ''}`;
  const had = id in rows;
  if (drift && drift.drifted) {
    rows[id] = { device: p.deviceId || '', model: key, features: (drift.features || []).join(', '), 'largest PSI': Math.round(drift.maxPsi * 1000) / 1000, since: rows[id] ? rows[id].since : new Date(p.end || Date.now()).toISOString().slice(11, 19) };
  } else if (had) delete rows[id];
  else return null;
  context.set('rows', rows);
  return { payload: Object.values(rows) };
}

/** Alarms → the newest 10: when, device, score, what stood out. */
function alarmLog(msg) {
  const log = context.get('log') || [];
  const p = msg.payload || {};
  const prediction = p.prediction || {};
  log.unshift({
    time: new Date(p.end || Date.now()).toISOString().slice(11, 19), device: p.deviceId || '',
    score: typeof prediction.score === 'number' ? Math.round(prediction.score * 100) / 100 : '',
    likelihood: typeof prediction.likelihood === 'number' ? Math.round(prediction.likelihood * 10000) / 10000 : '',
  });
  if (log.length > 10) log.length = 10;
  context.set('log', log);
  return { payload: log };
}

function dashboard(scenario) {
  const s = SCENARIOS[scenario];
  const prefix = `dash-${scenario}`;
  const z = `${prefix}-tab`;
  const id = (name) => `${prefix}-${name}`;
  const needs = `Needs FlowFuse Dashboard 2 (${DASHBOARD_PACKAGE.name}; Manage palette › Install, or npm start, which installs it) and the ${s.label} sample flow running (flows/${s.flow}, or npm start -- --flow ${scenario}): this tab only listens on MQTT to what that flow publishes.`;
  const nodes = [{ id: z, type: 'tab', label: `IoT AI dashboard: ${s.label}`, disabled: false, info: `The ${s.label} pipeline at a glance, on the dashboard page ${BASE.path}${s.path}. ${needs}` }];
  const add = (node) => (nodes.push({ z, ...node }), node.id);
  const config = (node) => (nodes.push(node), node.id);
  config({ ...BASE });
  config({ ...THEME });
  config({ ...BROKER });
  const page = config({ id: id('page'), type: 'ui-page', name: s.page, ui: BASE.id, path: s.path, icon: 'home', layout: 'grid', theme: THEME.id, breakpoints: [{ name: 'Default', px: '0', cols: '3' }, { name: 'Tablet', px: '576', cols: '6' }, { name: 'Small Desktop', px: '768', cols: '9' }, { name: 'Desktop', px: '1024', cols: '12' }], order: s.order, className: '', visible: 'true', disabled: 'false' });
  let groupOrder = 0;
  const group = (name, title, width = 6) => config({ id: id(`group-${name}`), type: 'ui-group', name: title, page, width, height: 1, order: ++groupOrder, showTitle: true, className: '', visible: 'true', disabled: 'false', groupType: 'default' });
  let widgetOrder = 0;
  const widget = (node) => add({ order: ++widgetOrder, width: 0, height: 0, className: '', ...node });
  const chart = (name, label, group, x, y, extra = {}) => widget({ id: id(name), type: 'ui-chart', group, name: label, label, chartType: 'line', category: 'topic', categoryType: 'msg', xAxisLabel: '', xAxisProperty: '', xAxisPropertyType: 'timestamp', xAxisType: 'time', xAxisFormat: '', xAxisFormatType: 'auto', xmin: '', xmax: '', yAxisLabel: '', yAxisProperty: 'payload', yAxisPropertyType: 'msg', ymin: '', ymax: '', bins: 10, action: 'append', stackSeries: false, pointShape: 'false', pointRadius: 4, showLegend: true, removeOlder: 1, removeOlderUnit: '3600', removeOlderPoints: '', colors: ['#0095FF', '#FF0000', '#FF7F0E', '#2CA02C', '#A347E1', '#D62728', '#FF9896', '#9467BD', '#C5B0D5'], textColor: ['#666666'], textColorDefault: true, gridColor: ['#e5e5e5'], gridColorDefault: true, interpolation: 'linear', x, y, wires: [[]], ...extra });
  const table = (name, label, group, x, y) => widget({ id: id(name), type: 'ui-table', group, name: label, label, maxrows: 0, passthru: false, autocols: true, showSearch: false, deselect: true, selectionType: 'none', columns: [], mobileBreakpoint: 'sm', mobileBreakpointType: 'defaults', action: 'replace', x, y, wires: [] });
  const mqttIn = (name, topic, wires, x, y, datatype = 'json') => add({ id: id(name), type: 'mqtt in', name: '', topic, qos: '0', datatype, broker: BROKER.id, nl: false, rap: true, rh: 0, inputs: 0, x, y, wires: [wires] });
  const fn = (name, label, func, outputs, wires, x, y) => add({ id: id(name), type: 'function', name: label, func, outputs, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x, y, wires });

  add({ id: id('comment'), type: 'comment', name: `Dashboard: the ${s.label} pipeline live (needs Dashboard 2, ${BASE.path}${s.path})`, info: needs, x: 0, y: 0, wires: [] });
  // Row 1: readings → one chart per sensor.
  const sensors = group('sensors', 'Sensors, per device', 12);
  mqttIn('readings', `${scenario}/+/sensors`, [id('ingest')], 0, 1, 'auto-detect');
  add({ id: id('ingest'), type: 'sensor-ingest', name: '', format: 'auto', topicPattern: `${scenario}/{deviceId}/sensors`, deviceIdField: 'deviceId', tsField: 'ts', schema: '', sensors: sampleSensors(scenario), convertUnits: true, maxFutureMs: 300000, maxPayloadBytes: 1048576, maxRecords: 10000, x: 1, y: 1, wires: [[id('per-sensor')], []] });
  fn('per-sensor', 'one chart per sensor', code(perSensor, { SENSORS: s.charts }), s.charts.length, s.charts.map((sensor) => [id(`chart-${sensor}`)]), 2, 1);
  // x is each reading's own time (a simulator started in the past stays charted): kept by count, 360 per device.
  s.charts.forEach((sensor, i) => chart(`chart-${sensor}`, sensor, sensors, 3, 1 + i, { xAxisProperty: 'ts', xAxisPropertyType: 'property', yAxisProperty: 'value', yAxisPropertyType: 'property', removeOlder: 0, removeOlderPoints: '360', width: 4, height: 4 }));
  // Predictions against the truth, accuracy, explanations.
  let row = 1 + s.charts.length;
  const predictions = group('predictions', 'Predictions against the simulator\'s truth', 6);
  const why = group('why', 'Why: the latest explanation of each decision', 6);
  mqttIn('truth', `${scenario}/+/truth`, [id('score'), ...(s.forecasts.length ? [id('forecasts')] : [])], 0, row);
  mqttIn('predictions', `iot-ai/${scenario}/predictions/+`, [id('score'), id('drift')], 0, row + 1);
  const truthOf = Object.fromEntries(s.predictions.map((key) => [key, SAMPLE_TRUTH[scenario][key]]));
  fn('score', 'score against truth', code(scorePredictions, { TRUTH_OF: truthOf }), 3, [[id('latest')], [id('accuracy')], [id('why-table')]], 2, row);
  table('latest', 'Latest prediction per device', predictions, 3, row);
  chart('accuracy', 'Accuracy over the newest 100 (%)', predictions, 3, row + 1, { ymin: '0', ymax: '100', width: 6, height: 4 });
  table('why-table', 'Why', why, 3, row + 2);
  row += 3;
  if (s.forecasts.length) {
    const forecasts = group('forecasts', 'Forecasts, and how they turned out', 6);
    mqttIn('forecasts-in', `iot-ai/${scenario}/forecasts/+`, [id('forecasts')], 0, row);
    const truthOfForecast = Object.fromEntries(s.forecasts.map((key) => [key, FORECAST_TRUTH_OF[key] ?? key]));
    fn('forecasts', 'score forecasts when due', code(scoreForecasts, { TRUTH_OF: truthOfForecast }), 2, [[id('forecast-table')], [id('forecast-score')]], 2, row);
    table('forecast-table', 'Latest forecast per device', forecasts, 3, row);
    chart('forecast-score', 'Forecasts that came true (%), or error', forecasts, 3, row + 1, { width: 6, height: 4 });
    row += 2;
  }
  const commands = group('commands', 'Commands and their acknowledgement', 6);
  mqttIn('outcomes', `iot-ai/${scenario}/outcomes/+`, [id('command-log')], 0, row);
  fn('command-log', 'newest outcomes', code(commandLog), 1, [[id('commands-table')]], 2, row);
  table('commands-table', 'Commands', commands, 3, row);
  row += 1;
  const drift = group('drift', 'Drift: features whose live values left the training data', 6);
  fn('drift', 'drifted features', code(driftTable), 1, [[id('drift-table')]], 2, row);
  table('drift-table', 'Drift', drift, 3, row);
  row += 1;
  if (s.alarms) {
    const alarms = group('alarms', 'Alarms: unusual for this device', 6);
    mqttIn('alarms-in', `iot-ai/${scenario}/alarms`, [id('alarm-log')], 0, row);
    fn('alarm-log', 'newest alarms', code(alarmLog), 1, [[id('alarms-table')]], 2, row);
    table('alarms-table', 'Alarms', alarms, 3, row);
  }
  return placeOnGrid(nodes, new Map(nodes.map((n) => [n.id, n])));
}

const FILES = { 'smart-home.json': 'home', 'smart-city.json': 'city', 'health.json': 'health' };
module.exports = { SCENARIOS, FILES, dashboard };

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? path.join(root, 'flows', 'dashboard'));
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, scenario] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, file), JSON.stringify(dashboard(scenario), null, 2) + '\n');
  console.log(`wrote ${Object.keys(FILES).join(', ')} to ${path.relative(root, dir) || '.'}`);
}
