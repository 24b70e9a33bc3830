/**
 * The audit of issue #27.6: for each node, the work or memory that a product of its settings allows, measured on
 * the cores with settings every one of which the config readers accept (docs/reliability.md, "Bounded work per
 * config"). Each figure is the cost of one message (or one timer run) at those settings, so what it blocks the
 * event loop for. Not part of `npm run bench`; run it on its own:
 *
 *   node --expose-gc -r tsx/cjs bench/config-products.ts
 */
import { ActuatorEngine, parseActuatorConfig } from '../src/core/actuate';
import { Ingestor, parseIngestConfig } from '../src/core/ingest';
import { loadModel } from '../src/core/model/model-file';
import { serializeModel } from '../src/core/model/store';
import { trainModel } from '../src/core/model/train-model';
import { parseWindowConfig, WindowEngine } from '../src/core/window';

const retained: unknown[] = [];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const heap = () => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

function windowPerReading(size: number, slide: number): string {
  const parsed = parseWindowConfig({ window: 'sliding', size, slide, unit: 'ms', features: ['mean'] });
  if (!parsed.ok) throw new Error(parsed.error);
  const engine = new WindowEngine(parsed.config);
  engine.add({ deviceId: 'd', sensor: 's', value: 1, ts: 0 }, 0);
  // The next reading, one window length later, closes every window the first one is in.
  const start = process.hrtime.bigint();
  const events = engine.add({ deviceId: 'd', sensor: 's', value: 2, ts: size + slide }, 0);
  const took = ms(start);
  const windows = events.filter((e) => e.kind === 'window').length;
  return `feature-window sliding ${size} ms every ${slide} ms: one reading closes ${windows} windows (size / slide), ${took.toFixed(0)} ms for that one message`;
}

function windowMemory(): string {
  const n = 1_000_000;
  const parsed = parseWindowConfig({ window: 'tumbling', size: 86_400_000, unit: 'ms', features: ['median'], maxReadings: n });
  if (!parsed.ok) throw new Error(parsed.error);
  const engine = new WindowEngine(parsed.config);
  const before = heap();
  for (let i = 0; i < n; i++) engine.add({ deviceId: 'd', sensor: 's', value: i, ts: i }, 0);
  // Kept reachable, or the collector frees the engine before it is measured.
  retained.push(engine);
  const perReading = (heap() - before) / n;
  const worst = 10_000 * 256 * 100_000 * perReading;
  return `feature-window memory: ${perReading.toFixed(0)} B per buffered reading (a median over a day); at the defaults maxKeys 10,000 × 256 sensors × maxReadings 100,000 that is ${(worst / 2 ** 40).toFixed(1)} TiB (maxKeys and maxReadings have no upper bound)`;
}

async function predictBatch(): Promise<string> {
  const rows: Float64Array[] = [];
  const target: number[] = [];
  for (let i = 0; i < 4000; i++) {
    const row = Float64Array.from({ length: 8 }, (_, f) => Math.sin(i * (f + 1) * 0.37) + ((i * 7919 + f) % 13) / 13);
    rows.push(row);
    target.push(row[0] + row[1] * row[2] + ((i * 31) % 7) / 7);
  }
  const featureNames = Array.from({ length: 8 }, (_, f) => `f${f}`);
  const trained = await trainModel({ featureNames, rows, task: 'regression', target: Float64Array.from(target) }, { name: 'big', createdAt: new Date(0), forest: { nTrees: 1000, seed: 1 } });
  const text = serializeModel(trained.model);
  const loadStart = process.hrtime.bigint();
  const loaded = loadModel(text);
  const loadMs = ms(loadStart);
  if (!loaded.ok) throw new Error(loaded.error);
  const model = loaded.model;
  const features = rows.slice(0, 10_000).map((row) => Object.fromEntries(featureNames.map((name, f) => [name, row[f]])));
  const start = process.hrtime.bigint();
  let predicted = 0;
  while (predicted < 10_000) {
    for (const item of features) {
      if (predicted++ >= 10_000) break;
      model.predict(item);
    }
  }
  const took = ms(start);
  return [
    `ml-model: loading that model (${(text.length / 2 ** 20).toFixed(0)} MiB, parse, schema, checks, compile) takes ${loadMs.toFixed(0)} ms of the event loop`,
    `model-predict: a batch of 10,000 payloads (MAX_BATCH) through 1,000 trees (model-train's largest) of unlimited depth, ${model.forest?.nodeCount} nodes: ${took.toFixed(0)} ms in one message (a model file's trees and depth have no bound)`,
  ].join('\n');
}

function actuatorTick(): string {
  const parsed = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', retries: 10, ackTimeout: 1, maxPending: 100_000, maxDevices: 1_000_000 });
  if (!parsed.ok) throw new Error(parsed.error);
  let id = 0;
  const engine = new ActuatorEngine(parsed.config, { newCorrelationId: () => `c${++id}` });
  for (let d = 0; d < 100_000; d++) engine.handle({ payload: { deviceId: `d${d}`, prediction: { label: 'on', confidence: 1 } } }, 0);
  const start = process.hrtime.bigint();
  const effects = engine.tick(10);
  const took = ms(start);
  const resent = effects.filter((e) => e.kind === 'command').length;
  return `actuator-command maxPending 100,000 × retries 10, ackTimeout 1 ms: one tick re-sends ${resent} commands in ${took.toFixed(0)} ms (before Node-RED sends them), every ms for 10 ms`;
}

function ingestPayload(): string {
  const parsed = parseIngestConfig({ format: 'senml', maxPayloadBytes: 256 * 1024 * 1024, maxRecords: 10_000_000 });
  if ('error' in parsed) throw new Error(parsed.error);
  const ingestor = new Ingestor(parsed.config);
  const records = Array.from({ length: 99_000 }, (_, i) => ({ bn: `dev-${i % 1000}/`, n: 'temperature', v: 20 + (i % 10), t: i }));
  const text = JSON.stringify(records);
  const start = process.hrtime.bigint();
  ingestor.ingest(text, 'site/x', Date.now());
  const took = ms(start);
  const parse = process.hrtime.bigint();
  const big = JSON.stringify(Array.from({ length: 1_000_000 }, (_, i) => ({ n: 't', v: i })));
  JSON.parse(big);
  const parseMs = ms(parse);
  return `sensor-ingest: a ${(text.length / 2 ** 20).toFixed(1)} MiB pack of 99,000 records (under maxFields 100,000): ${took.toFixed(0)} ms; JSON.parse alone ${(parseMs / (big.length / 2 ** 20)).toFixed(0)} ms per MiB, and maxPayloadBytes has no upper bound`;
}

async function main(): Promise<void> {
  console.log(windowPerReading(60_000, 10));
  console.log(windowPerReading(60_000, 1));
  console.log(windowMemory());
  console.log(actuatorTick());
  console.log(ingestPayload());
  console.log(await predictBatch());
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
