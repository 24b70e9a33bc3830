/**
 * An ONNX graph that is not a tree ensemble (#28), run by onnxruntime-node: an optional peer of the palette (about
 * 290 MB, so never a dependency), found in the Node-RED user directory or beside the palette. What the graph takes
 * and gives is planned and checked in core (core/model/import/onnx-graph.ts); this file only holds the session.
 * docs/import.md#any-other-onnx-model.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Prediction } from '../../core/model';
import { graphPredictions, type GraphOutput, type GraphPlan } from '../../core/model/import/onnx-graph';
import type { FeatureSketch } from '../../core/model/monitor/sketch';

/** The parts of onnxruntime-node (onnxruntime-common's API) used here. */
interface OrtTensor extends GraphOutput {
  readonly type: string;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32' | 'float64', data: Float32Array | Float64Array, dims: readonly number[]) => OrtTensor;
}

/** The one command that installs the runtime in `userDir` (its install script would fetch GPU binaries: skipped). */
export const installCommand = (userDir: string): string => `cd ${JSON.stringify(userDir)} && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`;

/**
 * The longest one run may hold the event loop (onnxruntime-node's run is a synchronous native call): a message whose
 * rows would take longer, by the per-row time measured at load, runs in a worker thread instead.
 */
export const LOOP_BUDGET_MS = 1;

/** onnxruntime-node as the user installed it (from the Node-RED user directory first, else from beside the palette), and where it was found. */
export function requireOnnxRuntime(userDir: string): { ort: OrtModule; from: string } | undefined {
  for (const from of [path.join(userDir, 'package.json'), __filename]) {
    try {
      return { ort: createRequire(from)('onnxruntime-node') as OrtModule, from };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Installed but broken (a native library that cannot load) is a fault to show, not "missing".
      if (code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  return undefined;
}

/** One thread for the operators: the machine's other cores are Node-RED's and the flow's. */
export const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };

type Feeds = Record<string, { type: 'float32' | 'float64'; data: Float32Array | Float64Array; dims: number[] }>;

/** Whether onnxruntime-node can be found (not loaded: the editor asks before a deploy would load it). */
export function onnxRuntimeInstalled(userDir: string): boolean {
  return [path.join(userDir, 'package.json'), __filename].some((from) => {
    try {
      createRequire(from).resolve('onnxruntime-node');
      return true;
    } catch {
      return false;
    }
  });
}

/** A loaded graph: the model of an ml-model whose file onnxruntime-node runs. */
export class RuntimeModel {
  /** Milliseconds one row's run holds the event loop (the median of a few runs at load). */
  perRowMs = 0;
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve(outputs: Record<string, GraphOutput>): void; reject(err: Error): void }>();
  private nextJob = 0;

  private constructor(
    readonly plan: GraphPlan,
    readonly name: string,
    readonly version: string,
    private readonly runtime: { ort: OrtModule; from: string },
    private readonly session: OrtSession,
    private readonly bytes: Uint8Array,
    /** The training sketch beside the graph (`<file>.sketch.json`), for model-predict's drift monitoring. */
    readonly sketch: FeatureSketch | undefined,
  ) {}

  static async load(runtime: { ort: OrtModule; from: string }, bytes: Uint8Array, plan: GraphPlan, model: { name: string; version: string; sketch?: FeatureSketch }): Promise<RuntimeModel> {
    const session = await runtime.ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    const loaded = new RuntimeModel(plan, model.name, model.version, runtime, session, bytes, model.sketch);
    // What one row costs on the loop: a run of zeros (which also proves the graph runs, at deploy).
    const zeros = new Float64Array(plan.featureNames.length);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await loaded.runHere(loaded.feeds([zeros]));
      times.push(performance.now() - start);
    }
    loaded.perRowMs = times.sort((a, b) => a - b)[2];
    return loaded;
  }

  /** Whether `rows` rows run in the worker thread rather than on the event loop. */
  offLoop(rows: number): boolean {
    return rows * this.perRowMs > LOOP_BUDGET_MS;
  }

  get task(): GraphPlan['task'] {
    return this.plan.task;
  }

  get featureNames(): readonly string[] {
    return this.plan.featureNames;
  }

  /** A graph has no per-device parts: drift compares every device with the one sketch. */
  readonly deviceIds: readonly string[] = [];
  sketchFor(): FeatureSketch | undefined {
    return this.sketch;
  }

  /**
   * The predictions of `rows` (vectors in featureNames order): one run of [rows, n] where every input takes a batch,
   * else one run per row, in order. The run itself is onnxruntime's, off the event loop.
   */
  async predict(rows: readonly Float64Array[]): Promise<Prediction[]> {
    const model = { name: this.name, version: this.version };
    if (rows.length === 0) return [];
    if (!this.plan.inputs.every((input) => input.batch) && rows.length > 1) {
      const predictions: Prediction[] = [];
      for (const row of rows) predictions.push(...(await this.predict([row])));
      return predictions;
    }
    const feeds = this.feeds(rows);
    const outputs = this.offLoop(rows.length) ? await this.runInWorker(feeds) : await this.runHere(feeds);
    return graphPredictions(this.plan, outputs, rows.length, model);
  }

  /** The graph's inputs for `rows`: each input's features, [rows, n] (or [n]). */
  private feeds(rows: readonly Float64Array[]): Feeds {
    const feeds: Feeds = {};
    let offset = 0;
    for (const input of this.plan.inputs) {
      const n = input.features.length;
      const data = input.type === 'float32' ? new Float32Array(rows.length * n) : new Float64Array(rows.length * n);
      rows.forEach((row, r) => data.set(row.subarray(offset, offset + n), r * n));
      feeds[input.name] = { type: input.type, data, dims: input.rank === 2 ? [rows.length, n] : [n] };
      offset += n;
    }
    return feeds;
  }

  private runHere(feeds: Feeds): Promise<Record<string, GraphOutput>> {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new this.runtime.ort.Tensor(t.type, t.data, t.dims)]));
    return this.session.run(tensors, this.plan.fetch);
  }

  /** A run in the worker thread (started on first need, with its own session of the same graph). */
  private runInWorker(feeds: Feeds): Promise<Record<string, GraphOutput>> {
    if (this.worker === undefined) {
      const compiled = path.join(__dirname, 'onnx-worker.js');
      const workerData = { from: this.runtime.from, bytes: this.bytes };
      const worker = fs.existsSync(compiled)
        ? new Worker(compiled, { workerData })
        : new Worker(path.join(__dirname, 'onnx-worker.ts'), { workerData, execArgv: ['--require', require.resolve('tsx/cjs')] });
      worker.on('message', (reply: { id: number; outputs?: Record<string, GraphOutput>; error?: string }) => {
        const job = this.waiting.get(reply.id);
        this.waiting.delete(reply.id);
        // An idle worker keeps no process alive; one with runs pending does (their promises wait on it).
        if (this.waiting.size === 0) worker.unref();
        if (reply.outputs !== undefined) job?.resolve(reply.outputs);
        else job?.reject(new Error(reply.error ?? 'the ONNX worker gave no outputs'));
      });
      const failAll = (err: Error) => {
        for (const job of this.waiting.values()) job.reject(err);
        this.waiting.clear();
        this.worker = undefined;
      };
      worker.on('error', failAll);
      worker.on('exit', (code) => failAll(new Error(`the ONNX worker stopped (exit code ${code})`)));
      worker.unref();
      this.worker = worker;
    }
    const id = this.nextJob++;
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, feeds, fetch: this.plan.fetch });
    });
  }

  async release(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
    await this.session.release();
  }
}
