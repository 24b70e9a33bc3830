#!/usr/bin/env node
// `npm start`: builds, starts an embedded MQTT broker (aedes on 127.0.0.1:1883; MQTT_URL selects an external
// broker instead) and Node-RED on http://127.0.0.1:1880 with this palette installed in a git-ignored user
// directory (.node-red-user) and a sample flow deployed (its simulated devices included), then prints a live
// one-line summary: readings/s, predictions, accuracy against the simulator's truth, commands acked.
// Ctrl-C stops all of it.
//   npm start -- --flow home|city|health|retrain   (default home)      npm start -- --keep (keep edited flows)
//   IOT_AI_USER_DIR (default .node-red-user)   PORT (default 1880)   MQTT_PORT (default 1883)   MQTT_URL
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = process.env.IOT_AI_USER_DIR ? path.resolve(process.env.IOT_AI_USER_DIR) : path.join(root, '.node-red-user');
const port = Number(process.env.PORT || 1880);
const args = process.argv.slice(2);
const FLOWS = { home: 'smart-home.json', city: 'smart-city.json', health: 'health.json', retrain: 'live-retrain.json' };
/** Which truth field each prediction topic is scored against. */
const TRUTH_OF = { occupancy: 'occupancy', congestion: 'congestion', air: 'airQuality', activity: 'activity', heart: 'abnormal' };
/** Anomaly models answer anomaly/normal; the simulator's truth says true/false. */
const asTruth = (label) => (label === 'anomaly' ? 'true' : label === 'normal' ? 'false' : String(label));

function fail(message) {
  console.error(`start: ${message}`);
  process.exit(1);
}

const flowName = args.includes('--flow') ? args[args.indexOf('--flow') + 1] : 'home';
if (!FLOWS[flowName]) fail(`--flow must be one of ${Object.keys(FLOWS).join(', ')}`);
const scenario = { home: 'home', city: 'city', health: 'health', retrain: 'home' }[flowName];

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
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
    close: () => new Promise((resolve) => aedes.close(() => server.close(() => resolve()))),
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

function sampleFlow(broker) {
  const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', FLOWS[flowName]), 'utf8'));
  for (const node of flow) {
    if (node.type === 'mqtt-broker') {
      node.broker = broker.host;
      node.port = String(broker.port);
    }
  }
  return flow;
}

/** Watches the broker: readings/s, predictions, accuracy against the simulator's truth, commands acked. */
async function summary(broker) {
  const mqtt = require('mqtt');
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 1000 });
  await client.subscribeAsync([`${scenario}/+/sensors`, `${scenario}/+/truth`, `iot-ai/${scenario}/predictions/+`, `iot-ai/${scenario}/outcomes/+`, `iot-ai/${scenario}/rejects`]);
  const truth = new Map();
  const stats = { readings: 0, lastReadings: 0, rejects: 0, predictions: 0, scored: 0, correct: 0, sent: 0, acked: 0, failed: 0 };
  client.on('message', (topic, payload) => {
    let body;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      body = undefined;
    }
    const parts = topic.split('/');
    // A SenML pack holds one reading per record; a flat JSON object one per sensor field.
    if (parts[2] === 'sensors') stats.readings += Array.isArray(body) ? body.length : 1;
    else if (parts[2] === 'truth' && body) truth.set(parts[1], body);
    else if (parts[1] === scenario && parts[2] === 'rejects') stats.rejects++;
    else if (parts[2] === 'predictions' && body?.prediction) {
      stats.predictions++;
      const expected = truth.get(body.deviceId)?.[TRUTH_OF[parts[3]]];
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
  const every = 2000;
  const timer = setInterval(() => {
    const rate = ((stats.readings - stats.lastReadings) * 1000) / every;
    stats.lastReadings = stats.readings;
    const accuracy = stats.scored ? `${((100 * stats.correct) / stats.scored).toFixed(1)}%` : '–';
    const line = `${rate.toFixed(1)} readings/s · ${stats.rejects} rejected · ${stats.predictions} predictions · accuracy ${accuracy} · commands ${stats.sent} sent, ${stats.acked} acked, ${stats.failed} failed`;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`);
    else console.log(line);
  }, every);
  return async () => {
    clearInterval(timer);
    await client.endAsync();
  };
}

async function main() {
  const broker = await startBroker();
  fs.mkdirSync(userDir, { recursive: true });
  installPalette();
  const flowFile = path.join(userDir, 'flows.json');
  if (!args.includes('--keep') || !fs.existsSync(flowFile)) fs.writeFileSync(flowFile, JSON.stringify(sampleFlow(broker), null, 2));
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

  let stopSummary = async () => {};
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-s', settings, '-p', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  red.stdout.on('data', (chunk) => {
    const text = chunk.toString();
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
    process.stdout.write(text);
    if (/Started flows/.test(text)) {
      console.log(`\n  Node-RED editor: http://127.0.0.1:${port}/   flow: ${FLOWS[flowName]}   MQTT broker: ${broker.label}\n  Ctrl-C stops everything.\n`);
      if (flowName !== 'retrain') {
        void summary(broker).then(
          (stop) => (stopSummary = stop),
          (err) => console.error(`start: no live summary: ${err.message}`),
        );
      }
    }
  });
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    await stopSummary().catch(() => {});
    if (red.exitCode === null) {
      red.kill('SIGINT');
      await new Promise((resolve) => {
        red.once('exit', resolve);
        setTimeout(resolve, 5000);
      });
    }
    await broker.close();
    if (process.stdout.isTTY) process.stdout.write('\n');
    process.exit(code);
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  red.on('exit', (code) => stop(code ?? 0));
}

main().catch((err) => fail(err.message));
