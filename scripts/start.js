#!/usr/bin/env node
// `npm start`: builds, starts an embedded MQTT broker (aedes on 127.0.0.1:1883; MQTT_URL selects an external
// broker instead) and Node-RED on http://127.0.0.1:1880 with this palette installed in a git-ignored user
// directory (.node-red-user), then prints a live one-line summary: readings/s (one reading is one sensor value),
// predictions, accuracy against the simulator's truth, commands acked.
// Your flows are kept: a sample flow (its simulated devices included) is deployed only on the first run (no flows
// file yet) or when asked for with --sample or --flow; your previous flows file is then saved beside it.
// SIGINT (Ctrl-C), SIGTERM and SIGHUP stop all of it, as does the end of the npm process that started it
// (package.json runs `exec node scripts/start.js`, so npm's forwarded signals reach this process).
//   npm start -- --sample        deploy the smart-home sample        npm start -- --flow home|city|health|retrain
//   --keep                       accepted for old habits: keeping your flows is the default now
//   --no-dashboard               do not install FlowFuse Dashboard 2 (first run) nor deploy a sample's dashboard tab
// On the first run npm start installs FlowFuse Dashboard 2 (@flowfuse/node-red-dashboard) into its user directory,
// as the palette manager would (the palette itself does not depend on it), and a deployed home, city or health
// sample comes with its dashboard tab (flows/dashboard/); the banner prints the dashboard's address.
//   IOT_AI_USER_DIR (default .node-red-user)   PORT (default 1880)   MQTT_PORT (default 1883)   MQTT_URL
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { ForecastTally, describeForecasts } = require('./forecast-tally');

const root = path.resolve(__dirname, '..');
const userDir = process.env.IOT_AI_USER_DIR ? path.resolve(process.env.IOT_AI_USER_DIR) : path.join(root, '.node-red-user');
const port = Number(process.env.PORT || 1880);
const args = process.argv.slice(2);
const FLOWS = { home: 'smart-home.json', city: 'smart-city.json', health: 'health.json', retrain: 'live-retrain.json' };
const { DASHBOARD_PACKAGE, hasDashboard, ensureDashboard } = require('./dashboard');
/** The one mqtt-broker config every example shares (scripts/flows.js), and the per-example ones it replaced. */
const SHARED_BROKER_ID = 'iot-ai-local-broker';
const OLD_BROKER_IDS = new Set(['home-broker', 'city-broker', 'health-broker', 'retrain-broker', 'z2m-broker']);
/** Anomaly models answer anomaly/normal; the simulator's truth says true/false. */
const asTruth = (label) => (label === 'anomaly' ? 'true' : label === 'normal' ? 'false' : String(label));

function fail(message) {
  console.error(`start: ${message}`);
  process.exit(1);
}

const USAGE = `usage: npm start [-- --sample | --flow ${Object.keys(FLOWS).join('|')}] [--no-dashboard]`;
let flowName = 'home';
let sampleAsked = false;
let withDashboard = true;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--sample') sampleAsked = true;
  else if (arg === '--flow' || arg.startsWith('--flow=')) {
    flowName = arg === '--flow' ? args[++i] : arg.slice('--flow='.length);
    if (!FLOWS[flowName]) fail(`--flow must be one of ${Object.keys(FLOWS).join(', ')}\n${USAGE}`);
    sampleAsked = true;
  } else if (arg === '--no-dashboard') {
    withDashboard = false;
  } else if (arg === '--keep') {
    // Keeping your flows is the default now; --keep stays accepted so old habits still work.
  } else fail(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
}

// Stopping: SIGINT (Ctrl-C; npm forwards it), SIGTERM (npm forwards it; process managers send it), SIGHUP (a
// closing terminal) and the end of the npm process itself (npm dies of SIGHUP without forwarding it). Set up before
// the build, so a signal during it ends the run too; main() replaces `stop` with the orderly stop.
let stop = async () => process.exit(0);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop(0, signal));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0, 'the npm process that started it ended');
}, 500).unref();

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
if (process.ppid !== parent) process.exit(0);
if (build.status !== 0) fail('the build failed');

async function startBroker() {
  if (process.env.MQTT_URL) {
    const url = new URL(process.env.MQTT_URL);
    return { host: url.hostname, port: Number(url.port || 1883), url: process.env.MQTT_URL, close: async () => {}, label: process.env.MQTT_URL };
  }
  const mqttPort = Number(process.env.MQTT_PORT || 1883);
  const { Aedes } = require('aedes');
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${mqttPort} is taken: set MQTT_PORT, or MQTT_URL to use the broker already there`) : err),
    );
    server.listen(mqttPort, '127.0.0.1', resolve);
  });
  return {
    host: '127.0.0.1',
    port: mqttPort,
    url: `mqtt://127.0.0.1:${mqttPort}`,
    label: `embedded aedes on mqtt://127.0.0.1:${mqttPort}`,
    // The port is free once this resolves: clients still connected are cut off.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        aedes.close(() => {});
      }),
  };
}

/** The palette is linked into the user directory, so a rebuild is what Node-RED loads next start. */
function installPalette() {
  const scope = path.join(userDir, 'node_modules', '@iot-ai');
  const link = path.join(scope, 'node-red-iot-ai');
  fs.mkdirSync(scope, { recursive: true });
  try {
    if (fs.realpathSync(link) === root) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    /* no link yet */
  }
  fs.symlinkSync(root, link, 'dir');
  const pkg = path.join(userDir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, JSON.stringify({ name: 'node-red-project', private: true, version: '0.0.1' }, null, 2));
}

/**
 * The examples' shared "local broker" config (and the per-example ones of older flows) follows npm start's broker:
 * Node-RED replaces a field that is exactly ${MQTT_HOST} or ${MQTT_PORT} with that environment variable, which
 * npm start sets for its Node-RED. The example files keep 127.0.0.1 and 1883, because Node-RED leaves ${VAR}
 * as it is when VAR is unset (no default syntax), and an example imported into any Node-RED must connect.
 * A broker config you pointed somewhere else (another host) is left alone. Without the shared config, it is added,
 * so an example imported from the editor reuses it (same id) and connects here too. Returns what changed.
 */
function pointBrokersHere(flow) {
  const changed = [];
  let shared = false;
  for (const node of flow) {
    if (node?.type !== 'mqtt-broker') continue;
    if (node.id === SHARED_BROKER_ID) shared = true;
    if (node.id !== SHARED_BROKER_ID && !OLD_BROKER_IDS.has(node.id)) continue;
    if (!['127.0.0.1', 'localhost', '${MQTT_HOST}'].includes(String(node.broker))) continue;
    if (node.broker === '${MQTT_HOST}' && node.port === '${MQTT_PORT}') continue;
    node.broker = '${MQTT_HOST}';
    node.port = '${MQTT_PORT}';
    changed.push(node.id);
  }
  if (!shared) {
    flow.push({ id: SHARED_BROKER_ID, type: 'mqtt-broker', name: 'local broker', broker: '${MQTT_HOST}', port: '${MQTT_PORT}', clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true });
    changed.push(SHARED_BROKER_ID);
  }
  return changed;
}

/** The sample, and its dashboard tab when Dashboard 2 is here (its config nodes shared, as the examples share them). */
function sampleFlow() {
  const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', FLOWS[flowName]), 'utf8'));
  const dashboardFile = path.join(root, 'flows', 'dashboard', FLOWS[flowName]);
  if (!withDashboard || !hasDashboard(userDir) || !fs.existsSync(dashboardFile)) return flow;
  const ids = new Set(flow.map((n) => n.id));
  return [...flow, ...JSON.parse(fs.readFileSync(dashboardFile, 'utf8')).filter((n) => !ids.has(n.id))];
}

/** The dashboard pages of the running flows (ui-base path + ui-page path), for the banner. */
async function dashboardPages() {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
    const flows = await res.json();
    const bases = new Map(flows.filter((n) => n.type === 'ui-base').map((n) => [n.id, n.path || '/dashboard']));
    return flows.filter((n) => n.type === 'ui-page' && bases.has(n.ui)).map((n) => `http://127.0.0.1:${port}${bases.get(n.ui)}${n.path || ''}`);
  } catch {
    return [];
  }
}

/**
 * Which flows Node-RED starts with. Yours are kept; the sample is written on the first run (no flows file) or when
 * asked for, and then your previous file is saved beside it. Returns the sentence that says which happened.
 */
function prepareFlows(flowFile) {
  const sampleName = `the ${FLOWS[flowName].replace(/\.json$/, '')} sample (flows/${FLOWS[flowName]})`;
  if (!fs.existsSync(flowFile)) {
    const flow = sampleFlow();
    pointBrokersHere(flow);
    fs.writeFileSync(flowFile, JSON.stringify(flow, null, 2));
    return { deployed: flowName, message: `first run: deployed ${sampleName} to ${flowFile}` };
  }
  if (sampleAsked) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const backup = path.join(path.dirname(flowFile), `flows-before-sample-${stamp}.json`);
    fs.copyFileSync(flowFile, backup);
    const flow = sampleFlow();
    pointBrokersHere(flow);
    fs.writeFileSync(flowFile, JSON.stringify(flow, null, 2));
    return { deployed: flowName, message: `deployed ${sampleName} as asked; your previous flows are saved in ${backup}` };
  }
  let flow;
  try {
    flow = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
  } catch (err) {
    return { deployed: null, message: `kept your flows in ${flowFile} (not read: ${err.message})` };
  }
  const hadShared = Array.isArray(flow) && flow.some((n) => n?.id === SHARED_BROKER_ID);
  const changed = Array.isArray(flow) ? pointBrokersHere(flow) : [];
  if (changed.length > 0) fs.writeFileSync(flowFile, JSON.stringify(flow, null, 2));
  const pointed = changed.filter((id) => id !== SHARED_BROKER_ID || hadShared);
  const notes = [];
  if (pointed.length > 0) notes.push(`the mqtt-broker config${pointed.length > 1 ? 's' : ''} ${pointed.join(', ')} now follow${pointed.length > 1 ? '' : 's'} npm start's broker (\${MQTT_HOST}:\${MQTT_PORT})`);
  if (!hadShared && changed.includes(SHARED_BROKER_ID)) notes.push(`added the examples' shared "local broker" config (${SHARED_BROKER_ID}), so examples you import use npm start's broker`);
  const note = notes.map((n) => `; ${n}`).join('');
  return { deployed: null, message: `kept your flows in ${flowFile} (npm start -- --sample deploys the smart-home sample instead, --flow city|health|retrain another one)${note}` };
}

/** The tabs Node-RED runs now, from its admin API: what the banner and each deploy line name. */
async function runningTabs() {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
    const flows = await res.json();
    const tabs = flows.filter((n) => n.type === 'tab').map((n) => `"${n.label}"${n.disabled ? ' (disabled)' : ''}`);
    return tabs.length > 0 ? tabs.join(', ') : 'no flow tabs';
  } catch (err) {
    return `(could not ask Node-RED: ${err.message})`;
  }
}

/** One reading is one sensor value: a SenML record with a value, or a sensor field of a flat JSON object. */
function readingsIn(body) {
  if (Array.isArray(body)) return body.filter((r) => r && typeof r === 'object' && ('v' in r || 'vs' in r || 'vb' in r || 'vd' in r)).length;
  if (body && typeof body === 'object') return Object.keys(body).filter((k) => !['deviceId', 'id', 'ts', 'time', 'timestamp'].includes(k)).length;
  return 0;
}

/**
 * Watches the broker: readings/s, predictions, accuracy against the simulator's truth, commands acked; every
 * scenario's topics, so whichever sample or example is deployed is counted. One subscriber for the whole run.
 * Forecasts (iot-ai/<scenario>/forecasts/<key>) are held until the time they are for and scored against the truth
 * then, beside persistence (scripts/forecast-tally.js, bounded).
 */
async function summary(broker) {
  // Which truth field each prediction topic is scored against: core's table (built by now), shared with the dashboards.
  const { SAMPLE_TRUTH } = require(path.join(root, 'dist', 'core', 'sim'));
  const mqtt = require('mqtt');
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 1000, clientId: `iot-ai-npm-start-summary-${process.pid}` });
  await client.subscribeAsync(['+/+/sensors', '+/+/truth', 'iot-ai/+/predictions/+', 'iot-ai/+/forecasts/+', 'iot-ai/+/outcomes/+', 'iot-ai/+/rejects']);
  const truth = new Map();
  const forecasts = new ForecastTally();
  const stats = { readings: 0, rejects: 0, predictions: 0, scored: 0, correct: 0, sent: 0, acked: 0, failed: 0 };
  client.on('message', (topic, payload) => {
    let body;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      body = undefined;
    }
    const parts = topic.split('/');
    if (parts[0] !== 'iot-ai' && parts[2] === 'sensors') {
      stats.readings += readingsIn(body);
      forecasts.reading(parts[0], parts[1], body);
    } else if (parts[0] !== 'iot-ai' && parts[2] === 'truth' && body) {
      truth.set(`${parts[0]}/${parts[1]}`, body);
      forecasts.truth(parts[0], parts[1], body);
    } else if (parts[0] !== 'iot-ai') return;
    else if (parts[2] === 'forecasts' && body?.prediction) forecasts.forecast(parts[1], parts[3], body);
    else if (parts[2] === 'rejects') stats.rejects++;
    else if (parts[2] === 'predictions' && body?.prediction) {
      stats.predictions++;
      const expected = truth.get(`${parts[1]}/${body.deviceId}`)?.[SAMPLE_TRUTH[parts[1]]?.[parts[3]]];
      if (expected !== undefined) {
        stats.scored++;
        if (String(expected) === asTruth(body.prediction.label)) stats.correct++;
      }
    } else if (parts[2] === 'outcomes' && body) {
      if (body.status === 'sent') stats.sent++;
      else if (body.status === 'acked') stats.acked++;
      else if (body.status === 'nacked' || body.status === 'timeout') stats.failed++;
    }
  });
  // A line every 2 s; the rate over the last 10 s, as devices report every few seconds, not every 2.
  const every = 2000;
  const counts = [0];
  const timer = setInterval(() => {
    counts.push(stats.readings);
    if (counts.length > 6) counts.shift();
    const rate = ((stats.readings - counts[0]) * 1000) / (every * (counts.length - 1));
    // Quiet until something is counted: flows of your own on other topics get no line of zeros every 2 s.
    if (stats.readings + stats.predictions + stats.rejects + stats.sent === 0) return;
    const accuracy = stats.scored ? `${((100 * stats.correct) / stats.scored).toFixed(1)}%` : '–';
    // Forecasts: each key's accuracy (MAE) against the truth at the time it was for, beside persistence's; until the
    // first is due, how many are held.
    const scored = describeForecasts(forecasts.results());
    const held = forecasts.pending();
    const ahead = scored ? ` · forecasts ${scored}` : held > 0 ? ` · forecasts ${held} held until due` : '';
    const line = `${rate.toFixed(1)} readings/s · ${stats.rejects} rejected · ${stats.predictions} predictions · accuracy ${accuracy} · commands ${stats.sent} sent, ${stats.acked} acked, ${stats.failed} failed` + ahead;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`);
    else console.log(line);
  }, every);
  return async () => {
    clearInterval(timer);
    await client.endAsync(true);
  };
}

async function main() {
  const broker = await startBroker();
  let summaryStarted = false;
  let stopSummary = async () => {};
  let red;
  let stopping = false;
  stop = async (code, why) => {
    if (stopping) return;
    stopping = true;
    if (why) console.log(`\nstart: stopping (${why})`);
    await stopSummary().catch(() => {});
    if (red && red.exitCode === null && red.signalCode === null) {
      red.kill('SIGINT');
      const exited = await new Promise((resolve) => {
        red.once('exit', () => resolve(true));
        setTimeout(() => resolve(false), 10000);
      });
      if (!exited) red.kill('SIGKILL');
    }
    await broker.close();
    if (process.stdout.isTTY) process.stdout.write('\n');
    process.exit(code);
  };

  fs.mkdirSync(userDir, { recursive: true });
  installPalette();
  if (withDashboard && !hasDashboard(userDir)) {
    console.log(`start: installing FlowFuse Dashboard 2 (${DASHBOARD_PACKAGE.name}@${DASHBOARD_PACKAGE.version}) into ${userDir} for the dashboard examples (once; --no-dashboard skips it)`);
    const installed = ensureDashboard(userDir);
    if (!installed.ok) console.warn(`start: no dashboard: ${installed.message}`);
    // npm keeps only what the user directory's package.json lists: the palette's link goes back in.
    installPalette();
  }
  const flowFile = path.join(userDir, 'flows.json');
  const flows = prepareFlows(flowFile);
  console.log(`start: ${flows.message}`);
  const settings = path.join(userDir, 'settings.js');
  fs.writeFileSync(
    settings,
    `// Written by npm start.\nmodule.exports = ${JSON.stringify(
      {
        uiHost: '127.0.0.1',
        uiPort: port,
        flowFile: 'flows.json',
        credentialSecret: 'iot-ai-dev',
        editorTheme: { tours: false },
        telemetry: { enabled: false, updateNotification: false },
        contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
        logging: { console: { level: 'info', metrics: false, audit: false } },
      },
      null,
      2,
    )};\n`,
  );

  // Node-RED in a process group of its own, so Ctrl-C reaches start.js, which stops it in order; start-guard.js
  // stops it if start.js goes without doing so. MQTT_HOST/MQTT_PORT: what ${MQTT_HOST}/${MQTT_PORT} mean in flows.
  red = spawn(process.execPath, ['--require', path.join(__dirname, 'start-guard.js'), require.resolve('node-red/red.js'), '-u', userDir, '-s', settings, '-p', String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: process.platform !== 'win32',
    env: { ...process.env, MQTT_HOST: broker.host, MQTT_PORT: String(broker.port) },
  });
  red.on('exit', (code) => void stop(code ?? 0));
  let deploys = 0;
  let pending = '';
  const onLine = (line) => {
    if (!/\bStarted (modified )?(flows|nodes)\b/.test(line)) return;
    deploys++;
    if (deploys === 1) {
      void runningTabs().then((tabs) => {
        const what = flows.deployed ? `the ${FLOWS[flows.deployed]} sample` : 'your flows (kept)';
        void dashboardPages().then((pages) => {
          const dashboard = pages.length > 0 ? `\n  Dashboard: ${pages.join('  ')}` : '';
          console.log(`\n  Node-RED editor: http://127.0.0.1:${port}/   running: ${what}: ${tabs}   MQTT broker: ${broker.label}${dashboard}\n  Ctrl-C stops everything.\n`);
        });
      });
      // One live summary for the whole run, however often flows are deployed (quiet while nothing is counted).
      if (!summaryStarted) {
        summaryStarted = true;
        void summary(broker).then(
          (end) => (stopping ? end() : (stopSummary = end)),
          (err) => console.error(`start: no live summary: ${err.message}`),
        );
      }
    } else {
      void runningTabs().then((tabs) => console.log(`start: deployed from the editor; running: ${tabs}`));
    }
  };
  red.stdout.on('data', (chunk) => {
    const text = chunk.toString();
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
    process.stdout.write(text);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop();
    lines.forEach(onLine);
  });
}

main().catch((err) => fail(err.message));
