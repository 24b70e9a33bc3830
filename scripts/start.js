#!/usr/bin/env node
// `npm start`: builds, starts an embedded MQTT broker (aedes on 127.0.0.1:1883; MQTT_URL selects an external
// broker instead) and Node-RED on http://127.0.0.1:1880 with this palette installed in a git-ignored user
// directory (.node-red-user) and a live starter flow. Ctrl-C stops all of it.
//   IOT_AI_USER_DIR (default .node-red-user)   PORT (default 1880)   MQTT_PORT (default 1883)   MQTT_URL (e.g. mqtt://broker.local:1883)   --reset (fresh flows)
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = process.env.IOT_AI_USER_DIR ? path.resolve(process.env.IOT_AI_USER_DIR) : path.join(root, '.node-red-user');
const port = Number(process.env.PORT || 1880);
const args = process.argv.slice(2);

function fail(message) {
  console.error(`start: ${message}`);
  process.exit(1);
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
if (build.status !== 0) fail('the build failed');

async function startBroker() {
  if (process.env.MQTT_URL) {
    const url = new URL(process.env.MQTT_URL);
    return { host: url.hostname, port: Number(url.port || 1883), close: async () => {}, label: process.env.MQTT_URL };
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

function starterFlow(broker) {
  const source = path.join(root, 'flows', 'starter.json');
  const flow = JSON.parse(fs.readFileSync(source, 'utf8'));
  for (const node of flow) {
    if (node.type === 'mqtt-broker') {
      node.broker = broker.host;
      node.port = String(broker.port);
    }
  }
  return flow;
}

async function main() {
  const broker = await startBroker();
  fs.mkdirSync(userDir, { recursive: true });
  installPalette();
  const flowFile = path.join(userDir, 'flows.json');
  if (args.includes('--reset') || !fs.existsSync(flowFile)) fs.writeFileSync(flowFile, JSON.stringify(starterFlow(broker), null, 2));
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

  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-s', settings, '-p', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  red.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (/Started flows/.test(chunk.toString())) {
      console.log(`\n  Node-RED editor: http://127.0.0.1:${port}/   MQTT broker: ${broker.label}\n  Ctrl-C stops everything.\n`);
    }
  });
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    if (red.exitCode === null) {
      red.kill('SIGINT');
      await new Promise((resolve) => {
        red.once('exit', resolve);
        setTimeout(resolve, 5000);
      });
    }
    await broker.close();
    process.exit(code);
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  red.on('exit', (code) => stop(code ?? 0));
}

main().catch((err) => fail(err.message));
