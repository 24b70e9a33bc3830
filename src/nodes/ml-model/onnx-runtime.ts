/**
 * An ONNX graph that is not a tree ensemble (#28), run by onnxruntime-node: an optional peer of the palette (about
 * 290 MB, so never a dependency), found in the Node-RED user directory or beside the palette. What the graph takes
 * and gives is planned and checked in core (core/model/import/onnx-graph.ts); this file only holds the session.
 * docs/import.md#any-other-onnx-model.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Prediction } from '../../core/model';
import { graphPredictions, type GraphOutput, type GraphPlan } from '../../core/model/import/onnx-graph';

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

/** onnxruntime-node as the user installed it: from the Node-RED user directory first, else from beside the palette. */
export function requireOnnxRuntime(userDir: string): OrtModule | undefined {
  for (const from of [path.join(userDir, 'package.json'), __filename]) {
    try {
      return createRequire(from)('onnxruntime-node') as OrtModule;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Installed but broken (a native library that cannot load) is a fault to show, not "missing".
      if (code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  return undefined;
}

/** A loaded graph: the model of an ml-model whose file onnxruntime-node runs. */
export class RuntimeModel {
  private constructor(
    readonly plan: GraphPlan,
    readonly name: string,
    readonly version: string,
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
  ) {}

  static async load(ort: OrtModule, bytes: Uint8Array, plan: GraphPlan, model: { name: string; version: string }): Promise<RuntimeModel> {
    // One thread for the operators: the machine's other cores are Node-RED's and the flow's.
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    return new RuntimeModel(plan, model.name, model.version, ort, session);
  }

  get task(): GraphPlan['task'] {
    return this.plan.task;
  }

  get featureNames(): readonly string[] {
    return this.plan.featureNames;
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
    const feeds: Record<string, OrtTensor> = {};
    let offset = 0;
    for (const input of this.plan.inputs) {
      const n = input.features.length;
      const data = input.type === 'float32' ? new Float32Array(rows.length * n) : new Float64Array(rows.length * n);
      rows.forEach((row, r) => data.set(row.subarray(offset, offset + n), r * n));
      feeds[input.name] = new this.ort.Tensor(input.type, data, input.rank === 2 ? [rows.length, n] : [n]);
      offset += n;
    }
    const outputs = await this.session.run(feeds, this.plan.fetch);
    return graphPredictions(this.plan, outputs, rows.length, model);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
