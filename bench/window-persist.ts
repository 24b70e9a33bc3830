/**
 * How long a persisted feature-window blocks the event loop to save its state (issue #14 item 15): 10,000 devices
 * × 4 sensors with the pipeline's windows (sliding 60 s every 10 s), one reading per device and sensor per second,
 * saved once a second as the node does. Twice: the whole snapshot in one call (as before), and the sliced save
 * (only changed devices, at most 128 per turn of the event loop). Reports the latency of HTTP requests to a server
 * in the same process (as the admin API would see it; sent every 10 ms from a worker thread), the event-loop delay
 * (monitorEventLoopDelay) and the CPU time of each call of save work. The context store is a memory store (as
 * Node-RED's memory and cached localfilesystem stores keep values by reference); the localfilesystem flush that
 * writes the file every 30 s is Node-RED's own and is measured separately at the end.
 *
 *   npx tsx bench/window-persist.ts [devices=10000] [seconds=10] [changedShare=1]   (ONLY=none|whole|sliced: one run)
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { parseWindowConfig, WindowEngine, WindowStateSlices } from '../src/core/window';
import { PersistedState, SlicedPersistedState, type SlicedSource } from '../src/nodes/shared/persist';
import type { Node } from '../src/nodes/shared/red';

const DEVICES = Number(process.argv[2] ?? 10_000);
const SECONDS = Number(process.argv[3] ?? 10);
/** Share of devices that report each second (1: all). */
const CHANGED = Number(process.argv[4] ?? 1);
const SENSORS = ['temperature', 'humidity', 'co2', 'light'];
const START = Date.UTC(2025, 0, 1);

function engineWithFleet(): WindowEngine {
  const parsed = parseWindowConfig({ window: 'sliding', size: 60, slide: 10, unit: 's', features: ['mean', 'std', 'min', 'max'], maxKeys: DEVICES });
  if (!parsed.ok) throw new Error(parsed.error);
  const engine = new WindowEngine(parsed.config);
  for (let s = 0; s < 70; s++) feedSecond(engine, s, 1);
  return engine;
}

function feedSecond(engine: WindowEngine, second: number, share: number, from = 0, to = DEVICES): void {
  const ts = START + second * 1000;
  for (let d = from; d < to; d++) {
    if (share < 1 && (d * 7919 + second) % Math.round(1 / share) !== 0) continue;
    for (let k = 0; k < SENSORS.length; k++) engine.add({ deviceId: `dev-${d}`, sensor: SENSORS[k], value: Math.sin(d + second + k), ts }, ts);
  }
}

/** A node whose context keeps values by reference, as Node-RED's memory store does. */
function fakeNode(): Pick<Node, 'context' | 'warn'> {
  const values = new Map<string, unknown>();
  const store = {
    get: (key: string | string[], _store: string | undefined, callback: (err: Error | null, ...v: unknown[]) => void) =>
      callback(null, ...(Array.isArray(key) ? key.map((k) => values.get(k)) : [values.get(key)])),
    set: (key: string | string[], value: unknown, _store: string | undefined, callback?: (err: Error | null) => void) => {
      if (Array.isArray(key)) key.forEach((k, i) => values.set(k, (value as unknown[])[i]));
      else values.set(key, value);
      callback?.(null);
    },
    keys: () => [...values.keys()],
  };
  return { context: () => ({ ...store, flow: store, global: store }) as never, warn: (m: unknown) => console.warn(m) };
}

/** Wraps a function to record each call's CPU time (ms): on a busy machine wall time also counts other processes. */
function timed<T extends (...args: never[]) => unknown>(fn: T, record: (ms: number) => void): T {
  return ((...args: never[]) => {
    const start = process.cpuUsage();
    try {
      return fn(...args);
    } finally {
      const used = process.cpuUsage(start);
      record((used.user + used.system) / 1000);
    }
  }) as T;
}

/** A client in a worker thread: a GET every 10 ms, each timed from send to answer, until told to stop. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const latencies = [];
const timer = setInterval(() => {
  const start = performance.now();
  http.get({ host: '127.0.0.1', port: workerData.port, path: '/', agent }, (res) => { res.resume(); res.on('end', () => latencies.push(performance.now() - start)); });
}, 10);
parentPort.on('message', () => { clearInterval(timer); setTimeout(() => parentPort.postMessage(latencies), 1500); });
`;

async function withRequests<T>(work: () => Promise<T>): Promise<{ result: T; latencies: number[] }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const worker = new Worker(CLIENT, { eval: true, workerData: { port: (server.address() as AddressInfo).port } });
  const result = await work();
  worker.postMessage('stop');
  const latencies = await new Promise<number[]>((resolve) => worker.once('message', resolve));
  await worker.terminate();
  server.close();
  return { result, latencies };
}

function quantiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
  return `median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}

async function run(kind: 'none' | 'whole' | 'sliced'): Promise<void> {
  const engine = engineWithFleet();
  let calls: number[] = [];
  const record = (ms: number) => calls.push(ms);
  let state: PersistedState;
  if (kind === 'none') {
    state = new PersistedState(fakeNode(), '', 'featureWindowState', () => undefined); // persist off: the floor
  } else if (kind === 'whole') {
    state = new PersistedState(fakeNode(), 'memory', 'featureWindowState', timed(() => engine.snapshot(), record));
  } else {
    const slices = new WindowStateSlices();
    slices.attach(engine);
    const source: SlicedSource = { step: timed(() => slices.step(), record), writes: timed(() => slices.writes(), record) };
    state = new SlicedPersistedState(fakeNode(), 'memory', 'featureWindowState', source);
    await new Promise<void>((resolve) => state.save(resolve)); // the first save writes everything, as after a start
    calls = [];
  }
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Readings arrive in chunks of 250 devices, one chunk per turn of the event loop, a second of event time per second.
  const { latencies } = await withRequests(async () => {
    const began = Date.now();
    for (let second = 70; second < 70 + SECONDS; second++) {
      const due = began + (second - 70) * 1000;
      for (let from = 0; from < DEVICES; from += 250) {
        feedSecond(engine, second, CHANGED, from, Math.min(DEVICES, from + 250));
        state.changed();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const wait = due + 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  });
  histogram.disable();
  await new Promise<void>((resolve) => state.close(resolve));
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const perSecond = calls.reduce((a, b) => a + b, 0) / SECONDS;
  console.log(`${kind}: ${DEVICES} devices, ${Math.round(CHANGED * 100)}% reporting each second`);
  console.log(`  HTTP request latency ${quantiles(latencies)} (${latencies.length} requests)`);
  console.log(`  event-loop delay p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms`);
  if (calls.length > 0) console.log(`  save work per call (CPU) ${quantiles(calls)} over ${calls.length} calls, ${perSecond.toFixed(0)} ms a second`);
}

async function flushCost(): Promise<void> {
  // What Node-RED's localfilesystem store does every flushInterval (30 s by default) with the whole node scope.
  const stringify = require('json-stringify-safe') as (value: unknown, replacer: null, space: number) => string;
  const engine = engineWithFleet();
  const slices = new WindowStateSlices();
  slices.attach(engine);
  while (slices.step());
  const { header, slices: lists } = slices.writes();
  const scope = Object.fromEntries([['featureWindowState', header], ...lists.map(([i, list]) => [`featureWindowState_${i}`, list])]);
  const start = performance.now();
  const text = stringify(scope, null, 4);
  console.log(`localfilesystem flush of this state (Node-RED's, every 30 s by default): ${(performance.now() - start).toFixed(0)} ms for ${(text.length / 1e6).toFixed(1)} MB`);
}

void (async () => {
  const only = process.env.ONLY;
  if (!only || only === 'none') await run('none');
  if (!only || only === 'whole') await run('whole');
  if (!only || only === 'sliced') await run('sliced');
  if (!only) await flushCost();
})();
