/**
 * How busy a sensor-sim keeps Node-RED (issue #27.6; docs/reliability.md, "Bounded work per config"): a real
 * Node-RED process with the palette linked in, one flow per case, and from this process the admin API's latency
 * (GET /flows, one request after another) while the case runs, beside the event-loop delay measured inside the
 * Node-RED process (perf_hooks, from its settings.js). Not part of `npm run bench`: run it on its own,
 *
 *   node -r tsx/cjs bench/sim-load.ts [--palette DIR] [--seconds 15] [--only name,name]
 *
 * `--palette` links another build of the project (e.g. an older commit, to measure a config it accepted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, installPalette, ROOT, tempDir } from './lib/project';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const palette = path.resolve(option('--palette') ?? ROOT);
const seconds = Number(option('--seconds') ?? 15);
const only = option('--only')?.split(',');
/** A request not answered in this time counts as this time (a starved runtime may never answer). */
const REQUEST_TIMEOUT_MS = 60_000;

interface Case {
  name: string;
  what: string;
  sim: Record<string, unknown>;
  /** sensor-sim → sensor-ingest → feature-window → counter, instead of sensor-sim → counter. */
  pipeline: boolean;
}

const CASES: Case[] = [
  { name: 'idle', what: 'no flow (the baseline)', sim: {}, pipeline: false },
  { name: 'old-bounds', what: '1,000 devices, interval 10 ms, speed 10,000 (every setting at its documented bound)', sim: { devices: 1000, interval: 10, speed: 10000 }, pipeline: false },
  { name: 'budget', what: '1,000 devices, interval 1,000 ms, speed 2: 2,000 readings/s, the budget', sim: { devices: 1000, interval: 1000, speed: 2 }, pipeline: false },
  {
    name: 'budget-pipeline',
    what: 'the same into sensor-ingest → feature-window (sliding 60 s every 10 s, 5 sensors × 5 features)',
    sim: { devices: 1000, interval: 1000, speed: 2 },
    pipeline: true,
  },
  // Past the budget, for comparison: refused by this build; measure them with --palette of a build before #27.6.
  { name: 'past-5k', what: '1,000 devices, interval 200 ms, speed 1: 5,000 readings/s', sim: { devices: 1000, interval: 200, speed: 1 }, pipeline: true },
  { name: 'past-20k', what: '1,000 devices, interval 50 ms, speed 1: 20,000 readings/s', sim: { devices: 1000, interval: 50, speed: 1 }, pipeline: true },
];

function flowOf(c: Case): object[] {
  if (Object.keys(c.sim).length === 0) return [];
  const tab = { id: 'tab', type: 'tab', label: 'load' };
  const sim = { id: 'sim', z: 'tab', type: 'sensor-sim', scenario: 'home', seed: 1, format: 'senml', faults: true, autostart: true, ...c.sim, wires: [[c.pipeline ? 'ingest' : 'count']] };
  const count = { id: 'count', z: 'tab', type: 'function', func: "global.set('n', (global.get('n') || 0) + 1); return null;", outputs: 1, wires: [[]] };
  if (!c.pipeline) return [tab, sim, count];
  const ingest = {
    id: 'ingest',
    z: 'tab',
    type: 'sensor-ingest',
    format: 'auto',
    topicPattern: 'home/{deviceId}/sensors',
    sensors: [{ name: 'temperature' }, { name: 'humidity' }, { name: 'light' }, { name: 'co2' }, { name: 'motion' }],
    maxFutureMs: 3_600_000,
    wires: [['window'], []],
  };
  const window = {
    id: 'window',
    z: 'tab',
    type: 'feature-window',
    window: 'sliding',
    size: 60,
    slide: 10,
    unit: 's',
    time: 'event',
    sensors: 'temperature, humidity, light, co2, motion',
    features: ['mean', 'std', 'min', 'max', 'slope'],
    maxKeys: 10000,
    wires: [['count'], []],
  };
  return [tab, sim, ingest, window, count];
}

/** settings.js: the usual quiet settings, plus an event-loop delay histogram written to a file every half second. */
function settingsJs(statsFile: string, resetFile: string): string {
  return `const { monitorEventLoopDelay } = require('perf_hooks');
const fs = require('fs');
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
setInterval(() => {
  if (fs.existsSync(${JSON.stringify(resetFile)})) {
    histogram.reset();
    fs.rmSync(${JSON.stringify(resetFile)});
    return;
  }
  // The histogram records the gaps between 10 ms timer runs: less 10 ms is how late a timer ran.
  const ms = (ns) => Math.max(0, ns / 1e6 - 10);
  fs.writeFileSync(${JSON.stringify(statsFile)}, JSON.stringify({ p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), count: histogram.count }));
}, 500).unref();
module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: 'bench',
  logging: { console: { level: 'warn', metrics: false, audit: false } },
  editorTheme: { tours: false },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false },
  contextStorage: { default: { module: 'memory' } },
};
`;
}

/** One request on a fresh connection (no keep-alive: a pooled socket the server closed meanwhile would reset). */
async function get(url: string): Promise<{ ms: number; body: string }> {
  const started = process.hrtime.bigint();
  const res = await fetch(url, { headers: { accept: 'application/json', connection: 'close' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await res.text();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, body };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function measure(c: Case): Promise<string> {
  const userDir = tempDir('sim-load');
  installPalette(userDir);
  // installPalette links ROOT; point the link at the build under test.
  const link = path.join(userDir, 'node_modules', '@iot-ai', 'node-red-iot-ai');
  fs.rmSync(link);
  fs.symlinkSync(palette, link, 'dir');
  const statsFile = path.join(userDir, 'loop.json');
  const resetFile = path.join(userDir, 'loop.reset');
  fs.writeFileSync(path.join(userDir, 'settings.js'), settingsJs(statsFile, resetFile));
  fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
  const port = await freePort();
  const redJs = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');
  const child: ChildProcess = spawn(process.execPath, [redJs, '-u', userDir, '-s', path.join(userDir, 'settings.js'), '-p', String(port)], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`Node-RED did not answer:\n${logs.join('')}`);
      try {
        if ((await fetch(`${url}/settings`)).ok) break;
      } catch {
        /* not yet */
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Deployed as the editor does; a starved runtime may answer late.
    const deployed = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
      body: JSON.stringify(flowOf(c)),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!deployed.ok) throw new Error(`deploy: ${deployed.status} ${await deployed.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const countAt = async () => {
      try {
        const { body } = await get(`${url}/context/global/n`);
        const parsed = JSON.parse(body) as { msg?: string };
        return Number(parsed.msg ?? 0) || 0;
      } catch {
        return NaN;
      }
    };
    const before = await countAt();
    // The histogram starts afresh when the Node-RED process sees this file (within half a second).
    fs.writeFileSync(resetFile, '');
    while (fs.existsSync(resetFile)) await new Promise((resolve) => setTimeout(resolve, 50));
    const latencies: number[] = [];
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      try {
        latencies.push((await get(`${url}/flows`)).ms);
      } catch (err) {
        if ((err as Error).name !== 'TimeoutError') throw err;
        latencies.push(REQUEST_TIMEOUT_MS);
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    const after = await countAt();
    const loop = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as { p50: number; p99: number; max: number };
    // The file is written by a timer of the Node-RED process: old means that process ran no timers meanwhile.
    const loopStale = Date.now() - fs.statSync(statsFile).mtimeMs > 2000;
    latencies.sort((a, b) => a - b);
    const refused = logs.join('').match(/sensor-sim configuration: [^\n]*/)?.[0];
    return [
      `${c.name}: ${c.what}`,
      `  ${refused ? `refused at deploy (${refused.slice(0, 160)}...)` : `readings counted: ${Math.round((after - before) / elapsed)}/s`}`,
      `  admin GET /flows: ${latencies.length} requests, median ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`,
      loopStale
        ? `  event-loop delay: not measured (the Node-RED process ran no timer for ${((Date.now() - fs.statSync(statsFile).mtimeMs) / 1000).toFixed(0)} s)`
        : `  event-loop delay (a 10 ms timer ran late by): median ${loop.p50.toFixed(1)} ms, p99 ${loop.p99.toFixed(1)} ms, max ${loop.max.toFixed(1)} ms`,
    ].join('\n');
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  console.log(`palette ${palette}; ${seconds} s per case`);
  for (const c of CASES) {
    if (only && !only.includes(c.name)) continue;
    console.log(await measure(c));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
