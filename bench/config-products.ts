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
import { MODEL_BOUNDS } from '../src/core/model/file/bounds';
import { loadModel } from '../src/core/model/file/model-file';
import { serializeModel } from '../src/core/model/file/store';
import { trainModel } from '../src/core/model/train/train-model';
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
  // The reader now refuses size / slide above 1,000: the old cases are built from an accepted config, slide changed.
  const parsed = parseWindowConfig({ window: 'sliding', size, slide: size, unit: 'ms', features: ['mean'] });
  if (!parsed.ok) throw new Error(parsed.error);
  const engine = new WindowEngine({ ...parsed.config, slide });
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
  retained.length = 0;
  const before = heap();
  for (let i = 0; i < n; i++) engine.add({ deviceId: 'd', sensor: 's', value: i, ts: i }, 0);
  // Kept reachable, or the collector frees the engine before it is measured.
  retained.push(engine);
  const perReading = (heap() - before) / n;
  const worst = 10_000 * 256 * 100_000 * perReading;
  return `feature-window memory: ${perReading.toFixed(0)} B per buffered reading (a median over a day); at the defaults maxKeys 10,000 × 256 sensors × maxReadings 100,000 that was ${(worst / 2 ** 40).toFixed(1)} TiB before #27.6 (now 10,000,000 readings an engine at most: ${((10_000_000 * perReading) / 2 ** 20).toFixed(0)} MiB)`;
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
  // Now: the batch is refused past maxVisitsPerMessage; the largest batch that fits, and a model at maxModelNodes.
  const fits = Math.floor(MODEL_BOUNDS.maxVisitsPerMessage / model.visitsPerPrediction);
  const fitStart = process.hrtime.bigint();
  for (let i = 0; i < fits; i++) model.predict(features[i % features.length]);
  const fitMs = ms(fitStart);
  const file = JSON.parse(text) as { forest: { trees: unknown[] } };
  const perTree = (model.forest?.nodeCount ?? 1) / file.forest.trees.length;
  const wanted = Math.floor(MODEL_BOUNDS.maxModelNodes / perTree);
  file.forest.trees = Array.from({ length: wanted }, (_, i) => file.forest.trees[i % 1000]);
  const bigText = JSON.stringify(file);
  const bigStart = process.hrtime.bigint();
  const big = loadModel(bigText);
  const bigMs = ms(bigStart);
  if (!big.ok) throw new Error(big.error);
  const over = JSON.parse(text) as { forest: { trees: unknown[] } };
  over.forest.trees = Array.from({ length: wanted + Math.ceil(wanted / 100) }, (_, i) => file.forest.trees[i % 1000]);
  const overText = JSON.stringify(over);
  const overStart = process.hrtime.bigint();
  const refused = loadModel(overText);
  const overMs = ms(overStart);
  return [
    `now: model-predict refuses that batch (${model.visitsPerPrediction} node visits a payload); the largest batch that fits, ${fits} payloads, takes ${fitMs.toFixed(0)} ms`,
    `now: ml-model at the bound, ${big.model.forest?.nodeCount} nodes (${(bigText.length / 2 ** 20).toFixed(0)} MiB): ${bigMs.toFixed(0)} ms to load; 1 % over it, refused in ${overMs.toFixed(0)} ms (${refused.ok ? 'loaded!' : refused.error.slice(0, 60)})`,
    `ml-model: loading that model (${(text.length / 2 ** 20).toFixed(0)} MiB, parse, schema, checks, compile) takes ${loadMs.toFixed(0)} ms of the event loop`,
    `model-predict: a batch of 10,000 payloads (MAX_BATCH) through 1,000 trees (model-train's largest) of unlimited depth, ${model.forest?.nodeCount} nodes: ${took.toFixed(0)} ms in one message (a model file's trees and depth have no bound)`,
  ].join('\n');
}

function actuatorTick(): string {
  const parsed = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', retries: 10, ackTimeout: 1, maxPending: 100_000, maxDevices: 1_000_000 });
  if (!parsed.ok) throw new Error(parsed.error);
  let id = 0;
  // ackTimeout 1 ms is now raised to 100 ms by the reader: the old case is built with the config changed back.
  const engine = new ActuatorEngine({ ...parsed.config, ackTimeout: 1 }, { newCorrelationId: () => `c${++id}` });
  for (let d = 0; d < 100_000; d++) engine.handle({ payload: { deviceId: `d${d}`, prediction: { label: 'on', confidence: 1 } } }, 0);
  const start = process.hrtime.bigint();
  const effects = engine.tick(10);
  const took = ms(start);
  const resent = effects.filter((e) => e.kind === 'command').length;
  return `actuator-command before (ackTimeout 1 ms, no per-run budget): one tick now re-sends ${resent} commands (the budget) in ${took.toFixed(0)} ms`;
}

function ingestPayload(): string {
  const parsed = parseIngestConfig({ format: 'senml', maxPayloadBytes: 16 * 1024 * 1024, maxRecords: 100_000 });
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

/** The old products, now refused by the config readers (#27.6): each line says what the reader answers. */
function refusals(): string {
  const window = parseWindowConfig({ window: 'sliding', size: 60_000, slide: 10, unit: 'ms', features: ['mean'] });
  const memory = parseWindowConfig({ maxKeys: 1_000_000, maxReadings: 10_000_000 });
  const ingest = parseIngestConfig({ format: 'senml', maxPayloadBytes: 256 * 1024 * 1024, maxRecords: 10_000_000 });
  const actuator = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', retries: 10, ackTimeout: 1 });
  return [
    `now refused: feature-window 60 s every 10 ms: ${window.ok ? 'accepted' : window.error}`,
    `now refused: feature-window maxKeys 1e6, maxReadings 1e7: ${memory.ok ? 'accepted' : memory.error}`,
    `now refused: sensor-ingest 256 MiB, 1e7 records: ${'error' in ingest ? ingest.error : 'accepted'}`,
    `now raised: actuator-command ackTimeout 1 ms: ${actuator.ok ? `${actuator.config.ackTimeout} ms; ${actuator.warnings?.join('; ')}` : actuator.error}`,
  ].join('\n');
}

/** Every window budget at its bound: 10,000,000 readings buffered (a median over a day), and what is refused past it. */
function windowBudget(): string {
  const parsed = parseWindowConfig({ window: 'tumbling', size: 86_400_000, unit: 'ms', features: ['median'], maxKeys: 100, maxReadings: 1_000_000 });
  if (!parsed.ok) throw new Error(parsed.error);
  const engine = new WindowEngine(parsed.config);
  const before = heap();
  let refused = 0;
  let slowest = 0;
  for (let d = 0; d < 11; d++) {
    for (let i = 0; i < 1_000_000; i++) {
      const start = process.hrtime.bigint();
      refused += engine.add({ deviceId: `d${d}`, sensor: 's', value: i, ts: i }, 0).length;
      const took = Number(process.hrtime.bigint() - start);
      if (took > slowest) slowest = took;
    }
  }
  retained.push(engine);
  const bytes = heap() - before;
  retained.pop();
  return `feature-window at the budget: 11 million readings offered, ${refused} refused (overflow), ${(bytes / 2 ** 20).toFixed(0)} MiB for the ${11_000_000 - refused} buffered; slowest single add ${(slowest / 1e6).toFixed(1)} ms (a garbage collection or a buffer growing, not a recount: 11 series)`;
}

/** One tick at the actuator's bounds now: 100,000 pending with retries, ackTimeout at its 100 ms minimum. */
function actuatorTickBounded(): string {
  const parsed = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', retries: 10, ackTimeout: 100, maxPending: 100_000, maxDevices: 1_000_000 });
  if (!parsed.ok) throw new Error(parsed.error);
  let id = 0;
  const engine = new ActuatorEngine(parsed.config, { newCorrelationId: () => `c${++id}` });
  for (let d = 0; d < 100_000; d++) engine.handle({ payload: { deviceId: `d${d}`, prediction: { label: 'on', confidence: 1 } } }, 0);
  let worst = 0;
  let runs = 0;
  let resent = 0;
  while (resent < 100_000) {
    const start = process.hrtime.bigint();
    resent += engine.tick(100).filter((e) => e.kind === 'command').length;
    worst = Math.max(worst, ms(start));
    runs++;
  }
  return `actuator-command maxPending 100,000 × retries 10, ackTimeout 100 ms: the re-sends take ${runs} timer runs of at most 1,000, the slowest ${worst.toFixed(1)} ms`;
}

/** sensor-ingest at its new bounds: a 16 MiB pack and a 100,000-record pack. */
function ingestBounded(): string {
  const parsed = parseIngestConfig({ format: 'senml', maxPayloadBytes: 16 * 1024 * 1024, maxRecords: 100_000 });
  if ('error' in parsed) throw new Error(parsed.error);
  const ingestor = new Ingestor(parsed.config);
  // Long names, so 100,000 fields fill most of 16 MiB.
  const records = Array.from({ length: 99_000 }, (_, i) => ({ bn: `device-with-a-rather-long-name-${i % 1000}/`, n: 'temperature-of-the-room-near-the-window', v: 20 + (i % 10), t: 1_700_000_000 + i, u: 'Cel' }));
  const text = JSON.stringify(records);
  const start = process.hrtime.bigint();
  ingestor.ingest(text, 'site/x', Date.now());
  const took = ms(start);
  return `sensor-ingest at the bounds: a ${(text.length / 2 ** 20).toFixed(1)} MiB pack of 99,000 records: ${took.toFixed(0)} ms for that one message`;
}

async function main(): Promise<void> {
  console.log(windowPerReading(60_000, 10));
  console.log(windowPerReading(60_000, 1));
  console.log(windowPerReading(60_000, 60));
  console.log(windowMemory());
  console.log(windowBudget());
  console.log(actuatorTick());
  console.log(actuatorTickBounded());
  console.log(ingestPayload());
  console.log(ingestBounded());
  console.log(await predictBatch());
  console.log(refusals());
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
