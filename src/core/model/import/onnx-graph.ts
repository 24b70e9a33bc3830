/**
 * Any other ONNX model (#28): a graph that is not a tree ensemble we convert (a neural network, a linear model, a
 * scikit-learn pipeline with a scaler) runs through onnxruntime-node, where the user installed it. This is the pure
 * part: what the graph takes and gives (read with onnx-proto.ts, no runtime needed), checked at deploy against the
 * ml-model's features and labels, and the runtime's outputs turned into the package's prediction shape.
 * docs/import.md#any-other-onnx-model documents the rules.
 */
import type { Label, Prediction } from '../file/model-file';
import { DATA_TYPE, looksLikeOnnx, readOnnxModel, type OnnxModel, type OnnxValueInfo } from './onnx-proto';

/** One graph input the window's features feed: a float tensor [batch, n] (or [n]) in `features` order. */
export interface GraphInput {
  name: string;
  features: string[];
  type: 'float32' | 'float64';
  /** The tensor's shape for `rows` rows: [rows, n] or, for a rank-1 input, [n]. */
  rank: 1 | 2;
  /** Whether one run may take many rows (the first dimension is free); else one run per row. */
  batch: boolean;
}

export interface GraphPlan {
  task: 'classification' | 'regression';
  /** Every feature the model reads, in the order of the inputs. */
  featureNames: string[];
  inputs: GraphInput[];
  /** Classification: the label of class 0, 1, … (the probability columns). */
  labels?: Label[];
  /** The float output read: a value (regression), or probabilities or logits (classification). */
  output: string;
  /** Its values per row (1 for a value or a binary classifier's single column); 0 when the file does not say. */
  width: number;
  /** Classification: whether `output` holds probabilities already, or logits that softmax (or the logistic) turns into them. */
  scores: 'probabilities' | 'logits';
  /** Classification: an integer or string output that names each row's class (scikit-learn's `label`). */
  labelOutput?: string;
  /** The outputs the runtime must fetch. */
  fetch: string[];
}

export interface GraphOptions {
  /** ml-model's featureNames: `a, b, c` for the graph's one input, or `input1: a, b; input2: c` for named inputs. */
  featureSpec?: string;
  /** Classification: the label of class 0, 1, …. */
  labels?: readonly Label[];
}

export type PlanResult = { ok: true; plan: GraphPlan } | { ok: false; error: string };

const TREE_OPS = new Set(['TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'TreeEnsemble']);
const FLOAT_TYPES = new Map<number, GraphInput['type']>([
  [DATA_TYPE.FLOAT, 'float32'],
  [DATA_TYPE.DOUBLE, 'float64'],
]);
const LABEL_TYPES = new Set<number>([DATA_TYPE.INT32, DATA_TYPE.INT64, DATA_TYPE.STRING]);
/** Ops whose output is already a probability (so it is not squashed again). */
const PROBABILITY_OPS = new Set(['Softmax', 'Sigmoid']);

/** What an ONNX file holds: not ONNX, a tree ensemble (converted to our own trees), or another graph (runtime). */
export function onnxKind(bytes: Uint8Array, fileName?: string): 'not-onnx' | 'trees' | 'graph' {
  if (!(fileName ?? '').toLowerCase().endsWith('.onnx') && !looksLikeOnnx(bytes)) return 'not-onnx';
  let model: OnnxModel;
  try {
    model = readOnnxModel(bytes);
  } catch {
    return 'not-onnx';
  }
  return model.nodes.some((node) => TREE_OPS.has(node.opType)) ? 'trees' : 'graph';
}

/**
 * Whether a file of `kind` runs through onnxruntime-node rather than as our own trees: any graph that is not a tree
 * ensemble, and a tree ensemble with other operators beside it (a scaler), which the converter refused for `importError`.
 */
export function runsAsGraph(kind: ReturnType<typeof onnxKind>, importError?: string): boolean {
  return kind === 'graph' || (kind === 'trees' && importError !== undefined && importError.includes('beside its tree ensemble'));
}

const list = (text: string): string[] => text.split(',').map((name) => name.trim()).filter((name) => name !== '');

/** `a, b` → one unnamed input; `x: a, b; y: c` → named inputs. */
export function parseFeatureSpec(spec: string | undefined): Array<{ input?: string; features: string[] }> {
  const text = (spec ?? '').trim();
  if (text === '') return [];
  if (!text.includes(':')) return [{ features: list(text) }];
  return text
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const colon = part.indexOf(':');
      return colon < 0 ? { features: list(part) } : { input: part.slice(0, colon).trim(), features: list(part.slice(colon + 1)) };
    });
}

const shapeText = (shape: OnnxValueInfo['shape']): string => (shape === null ? '?' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`);

/** Reads the graph and checks it against the ml-model's features and labels: why it cannot run, or how to run it. */
export function planOnnxGraph(bytes: Uint8Array, options: GraphOptions = {}): PlanResult {
  let model: OnnxModel;
  try {
    model = readOnnxModel(bytes);
  } catch (err) {
    return { ok: false, error: `not a readable ONNX model: ${(err as Error).message}` };
  }
  const graphInputs = model.inputs.filter((input) => !model.initializers.has(input.name));
  if (graphInputs.length === 0) return { ok: false, error: 'the graph has no input to feed' };
  const spec = parseFeatureSpec(options.featureSpec);
  if (spec.length === 0) {
    const want = graphInputs.map((input) => `${input.name} ${shapeText(input.shape)}`).join(', ');
    return { ok: false, error: `an ONNX graph does not name its features: give them in featureNames, in the order of its input (${want})` };
  }
  const byName = new Map(graphInputs.map((input) => [input.name, input]));
  const mapped: Array<{ info: OnnxValueInfo; features: string[] }> = [];
  if (spec.length === 1 && spec[0].input === undefined) {
    if (graphInputs.length > 1) {
      return { ok: false, error: `the graph has ${graphInputs.length} inputs (${graphInputs.map((i) => i.name).join(', ')}): map features to each in featureNames, as "${graphInputs[0].name}: a, b; ${graphInputs[1].name}: c"` };
    }
    mapped.push({ info: graphInputs[0], features: spec[0].features });
  } else {
    for (const part of spec) {
      const info = part.input === undefined ? undefined : byName.get(part.input);
      if (info === undefined) return { ok: false, error: `featureNames maps features to ${JSON.stringify(part.input ?? '')}, which is not an input of the graph (${graphInputs.map((i) => i.name).join(', ')})` };
      mapped.push({ info, features: part.features });
    }
    const unfed = graphInputs.filter((input) => !mapped.some((m) => m.info === input));
    if (unfed.length > 0) return { ok: false, error: `featureNames feeds no feature to the graph's input ${unfed.map((i) => i.name).join(', ')}` };
  }
  const inputs: GraphInput[] = [];
  for (const { info, features } of mapped) {
    const input = graphInput(info, features);
    if (typeof input === 'string') return { ok: false, error: input };
    inputs.push(input);
  }
  const featureNames = inputs.flatMap((input) => input.features);
  const twice = featureNames.find((name, i) => featureNames.indexOf(name) !== i);
  if (twice !== undefined) return { ok: false, error: `featureNames names ${JSON.stringify(twice)} twice` };
  const outputs = outputPlan(model, options.labels);
  return typeof outputs === 'string' ? { ok: false, error: outputs } : { ok: true, plan: { ...outputs, featureNames, inputs } };
}

/** How `features` feed the graph input `info`, or why they cannot. */
function graphInput(info: OnnxValueInfo, features: string[]): GraphInput | string {
  const type = FLOAT_TYPES.get(info.elemType);
  if (type === undefined) return `the graph's input ${info.name} is not a float tensor (ONNX type ${info.elemType}): model-predict feeds the window's features as float32 (or double)`;
  const shape = info.shape ?? [null, null];
  const fits = (dim: number | string | null) => dim === null || typeof dim === 'string' || dim === features.length;
  if (shape.length === 2 && fits(shape[1])) return { name: info.name, features, type, rank: 2, batch: shape[0] !== 1 };
  if (shape.length === 1 && fits(shape[0])) return { name: info.name, features, type, rank: 1, batch: false };
  return `the graph's input ${info.name} has the shape ${shapeText(info.shape)}, which ${features.length} features (${features.join(', ')}) do not fit: model-predict feeds a [rows, features] tensor`;
}

/** Which output gives the prediction, and how (docs/import.md#any-other-onnx-model). */
function outputPlan(model: OnnxModel, labels: readonly Label[] | undefined): Omit<GraphPlan, 'featureNames' | 'inputs'> | string {
  const floats = model.outputs.filter((o) => FLOAT_TYPES.has(o.elemType));
  const labelOutput = model.outputs.find((o) => LABEL_TYPES.has(o.elemType));
  if (floats.length === 0) {
    const map = model.outputs.some((o) => o.elemType === 0);
    return map
      ? 'the graph gives its probabilities as a map (a ZipMap): export without it (skl2onnx: options={id(model): {"zipmap": False}}), so they come as a float tensor'
      : `the graph has no float output to read a prediction from (outputs: ${model.outputs.map((o) => o.name).join(', ')})`;
  }
  const output = floats.find((o) => /prob/i.test(o.name)) ?? floats[0];
  const last = output.shape === null || output.shape.length === 0 ? 1 : output.shape[output.shape.length - 1];
  const width = output.shape !== null && output.shape.length <= 1 ? 1 : typeof last === 'number' ? last : 0;
  const given = labels !== undefined && labels.length > 0 ? [...labels] : undefined;
  const classifier = labelOutput !== undefined || given !== undefined || width > 1;
  const fetch = labelOutput === undefined ? [output.name] : [output.name, labelOutput.name];
  if (!classifier) return { task: 'regression', output: output.name, width, scores: 'probabilities', fetch };
  const producer = model.nodes.find((node) => node.outputs.includes(output.name));
  const scores = (producer !== undefined && PROBABILITY_OPS.has(producer.opType)) || /prob/i.test(output.name) ? 'probabilities' : 'logits';
  const nClasses = width === 1 ? 2 : width > 1 ? width : (given?.length ?? 0);
  if (nClasses === 0) return `the graph's output ${output.name} does not say how many classes it scores: name them in labels`;
  if (given !== undefined && given.length !== nClasses) return `${given.length} labels given but the graph's output ${output.name} scores ${nClasses} classes${width === 1 ? ' (one column: a binary classifier)' : ''}`;
  return { task: 'classification', labels: given ?? Array.from({ length: nClasses }, (_, k) => k), output: output.name, width, scores, ...(labelOutput === undefined ? {} : { labelOutput: labelOutput.name }), fetch };
}

/** One runtime output: its flat values and dims, as onnxruntime's Tensor holds them. */
export interface GraphOutput {
  data: ArrayLike<number | bigint | string>;
  dims: readonly number[];
}

/** The rows' predictions from the runtime's outputs; throws when an output does not have the planned shape. */
export function graphPredictions(plan: GraphPlan, outputs: Record<string, GraphOutput>, rows: number, model: { name: string; version: string }): Prediction[] {
  const out = outputs[plan.output];
  if (out === undefined) throw new Error(`the runtime gave no output ${plan.output}`);
  const width = out.data.length / rows;
  if (!Number.isInteger(width) || width < 1 || (plan.width > 0 && width !== plan.width)) {
    throw new Error(`the graph's output ${plan.output} has ${out.data.length} values for ${rows} row(s) (dims [${out.dims.join(', ')}])`);
  }
  const at = (r: number, k: number) => Number(out.data[r * width + k]);
  const predictions: Prediction[] = [];
  if (plan.task === 'regression') {
    if (width !== 1) throw new Error(`the graph's output ${plan.output} gives ${width} values a row: name labels for a classifier`);
    for (let r = 0; r < rows; r++) predictions.push({ value: at(r, 0), confidence: 1, model });
    return predictions;
  }
  const labels = plan.labels as Label[];
  if (width !== labels.length && !(width === 1 && labels.length === 2)) throw new Error(`the graph's output ${plan.output} gives ${width} values a row for ${labels.length} labels`);
  const named = plan.labelOutput === undefined ? undefined : outputs[plan.labelOutput];
  for (let r = 0; r < rows; r++) {
    const p = classProbabilities(plan.scores, width, labels.length, (k) => at(r, k));
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    const probabilities: Record<string, number> = {};
    labels.forEach((label, k) => Object.defineProperty(probabilities, String(label), { value: p[k], enumerable: true, writable: true, configurable: true }));
    let label: Label = labels[best];
    if (named !== undefined) {
      const value = named.data[r];
      // An integer label is a class index, named by labels; a string label is the class's own name.
      label = typeof value === 'string' ? value : (labels[Number(value)] ?? Number(value));
    }
    predictions.push({ label, confidence: p[best], probabilities, model });
  }
  return predictions;
}

/** A row's class probabilities from its scores: as they are, or softmax (one column: the logistic) of logits. */
function classProbabilities(scores: GraphPlan['scores'], width: number, nClasses: number, score: (k: number) => number): number[] {
  if (width === 1 && nClasses === 2) {
    const s = score(0);
    const p1 = scores === 'probabilities' ? s : 1 / (1 + Math.exp(-s));
    return [1 - p1, p1];
  }
  const values = Array.from({ length: width }, (_, k) => score(k));
  if (scores === 'probabilities') return values;
  const top = Math.max(...values);
  const e = values.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** What the editor shows of a graph before its features are named: its inputs, their width, and the task its outputs suggest. */
export function describeOnnxGraph(bytes: Uint8Array): { inputs: string; features: number | null; task?: GraphPlan['task']; classes?: number } {
  const model = readOnnxModel(bytes);
  const inputs = model.inputs.filter((input) => !model.initializers.has(input.name));
  const widths = inputs.map((input) => (input.shape === null ? null : input.shape[input.shape.length - 1]));
  const features = widths.every((w) => typeof w === 'number') ? (widths as number[]).reduce((a, b) => a + b, 0) : null;
  const outputs = outputPlan(model, undefined);
  return {
    inputs: inputs.map((input) => `${input.name} ${shapeText(input.shape)}`).join(', '),
    features,
    ...(typeof outputs === 'string' ? {} : { task: outputs.task, ...(outputs.labels === undefined ? {} : { classes: outputs.labels.length }) }),
  };
}
