/**
 * ONNX tree ensembles (`ai.onnx.ml` TreeEnsembleClassifier / TreeEnsembleRegressor, opsets 1 to 3) as forests of
 * the package's own form (forest-format.ts BoostSpec), as skl2onnx writes scikit-learn's forests and gradient
 * boosting and onnxmltools writes XGBoost and LightGBM models:
 *
 * - the graph holds one tree ensemble, fed by the graph's one input (through Cast or Identity), and around it only
 *   ZipMap, Cast and Identity nodes; anything else (a Scaler, an Imputer, a neural network) is refused by name;
 * - splits: BRANCH_LEQ, LT, GTE, GT (one split of ours each, children swapped for GTE/GT), EQ and NEQ (two splits
 *   each, the subtree they share copied); the comparison is in float32 when the ensemble's input is a float tensor
 *   (written as the double threshold that splits every double alike, float32.ts), else in float64;
 * - missing values (NaN) go to the true branch where `nodes_missing_value_tracks_true` says so, else where the
 *   comparison sends NaN (false, except NEQ), as onnxruntime does;
 * - leaves add their weights to their classes (one tree of ours per class a tree touches), plus `base_values`,
 *   then `post_transform`: NONE (the sums are the probabilities or the value), LOGISTIC, SOFTMAX; a regressor's
 *   aggregate_function SUM or AVERAGE;
 * - a scikit-learn forest (classifier, NONE, every leaf's weights ≥ 0 and summing to 1/n over n trees) is averaged
 *   as scikit-learn does: each leaf's fraction recovered from its float32 weight (recoverFraction), summed and
 *   divided by n, so its probabilities and ties (0.5 of an even forest) come out as scikit-learn's;
 * - an ensemble whose splits are all BRANCH_LT (onnxmltools' XGBoost) sums in float32 as XGBoost does.
 *
 * Refused by name: the opset-5 `TreeEnsemble` operator, PROBIT and SOFTMAX_ZERO, MIN/MAX aggregation, several
 * targets, a two-class classifier with one raw score (post_transform NONE, negative weights), LOGISTIC over more
 * than one class score, and graphs with other operators.
 */
import type { Label } from '../file/model-file';
import { BoostSpec, Tree, TREES_KIND } from '../forest/forest-format';
import { ConvertedForest, ConvertResult, converting, ImportError } from './converted';
import { float32LessEqualAsDoubleLessEqual, float32LessThanAsDoubleLessEqual, nextFloat32, previousDouble, previousFloat32 } from './float32';
import { DATA_TYPE, OnnxAttribute, OnnxModel, OnnxNode, readOnnxModel } from './onnx-proto';

const ML = 'ai.onnx.ml';
const ENSEMBLES = ['TreeEnsembleClassifier', 'TreeEnsembleRegressor'];
/** Nodes that may stand around the ensemble: they pass its input or outputs on without changing a prediction. */
const WRAPPERS = ['ZipMap', 'Cast', 'Identity'];
const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'LEAF'] as const;
type Mode = (typeof MODES)[number];
/** The most nodes the converted trees may hold (EQ/NEQ splits copy the subtree they share). */
export const MAX_ONNX_NODES = 4_000_000;

/** Converts an ONNX file's tree ensemble. Never throws. */
export function convertOnnx(bytes: Uint8Array): ConvertResult {
  return converting('ONNX model', () => {
    let model: OnnxModel;
    try {
      model = readOnnxModel(bytes);
    } catch (err) {
      throw new ImportError(`not a readable ONNX file (${(err as Error).message})`);
    }
    return convert(model);
  });
}

function domainOf(node: OnnxNode): string {
  return node.domain === 'ai.onnx' ? '' : node.domain;
}

function convert(model: OnnxModel): ConvertedForest {
  if (model.nodes.some((node) => node.opType === 'TreeEnsemble' && domainOf(node) === ML)) {
    throw new ImportError('the TreeEnsemble operator of ai.onnx.ml opset 5 is not supported yet: export with ai.onnx.ml opset 3 or lower (skl2onnx: target_opset={"": 17, "ai.onnx.ml": 3})');
  }
  const ensembles = model.nodes.filter((node) => ENSEMBLES.includes(node.opType) && domainOf(node) === ML);
  const others = model.nodes.filter((node) => !ensembles.includes(node) && !WRAPPERS.includes(node.opType));
  if (ensembles.length === 0) {
    throw new ImportError('the graph holds no TreeEnsembleClassifier or TreeEnsembleRegressor: only tree ensembles are converted (other ONNX models, such as neural networks, need onnxruntime-node)');
  }
  if (ensembles.length > 1) throw new ImportError(`the graph holds ${ensembles.length} tree ensembles: only a graph with one is converted`);
  if (others.length > 0) {
    const names = [...new Set(others.map((node) => node.opType))].join(', ');
    throw new ImportError(`the graph holds ${names} beside its tree ensemble: only the ensemble and the ZipMap, Cast and Identity nodes around it are converted; export the trees alone (the pipeline's last step) and do the rest in the flow`);
  }
  const ensemble = ensembles[0];
  const classifier = ensemble.opType === 'TreeEnsembleClassifier';
  const { float32, nFeatures: declared } = ensembleInput(model, ensemble);

  const attr = (name: string): OnnxAttribute | undefined => ensemble.attributes.get(name);
  const ints = (name: string): number[] => attr(name)?.ints ?? [];
  const numbersOf = (name: string): number[] => {
    const tensor = attr(`${name}_as_tensor`)?.t;
    return tensor !== undefined ? tensor.values : (attr(name)?.floats ?? []);
  };
  const treeIds = ints('nodes_treeids');
  const nodeIds = ints('nodes_nodeids');
  const featureIds = ints('nodes_featureids');
  const modes = attr('nodes_modes')?.strings ?? [];
  const values = numbersOf('nodes_values');
  const trueIds = ints('nodes_truenodeids');
  const falseIds = ints('nodes_falsenodeids');
  const tracks = ints('nodes_missing_value_tracks_true');
  const size = treeIds.length;
  if (size === 0) throw new ImportError('the ensemble has no nodes');
  for (const [name, list] of [['nodes_nodeids', nodeIds], ['nodes_featureids', featureIds], ['nodes_modes', modes], ['nodes_values', values], ['nodes_truenodeids', trueIds], ['nodes_falsenodeids', falseIds]] as const) {
    if (list.length !== size) throw new ImportError(`${name} has ${list.length} entries but nodes_treeids has ${size}`);
  }
  if (tracks.length !== 0 && tracks.length !== size) throw new ImportError(`nodes_missing_value_tracks_true has ${tracks.length} entries for ${size} nodes`);
  const badMode = modes.find((mode) => !(MODES as readonly string[]).includes(mode));
  if (badMode !== undefined) throw new ImportError(`node mode ${JSON.stringify(badMode)} is not one ONNX defines`);

  const prefix = classifier ? 'class' : 'target';
  const leafTrees = ints(`${prefix}_treeids`);
  const leafNodes = ints(`${prefix}_nodeids`);
  const leafIds = ints(`${prefix}_ids`);
  const leafWeights = numbersOf(`${prefix}_weights`);
  for (const [name, list] of [[`${prefix}_nodeids`, leafNodes], [`${prefix}_ids`, leafIds], [`${prefix}_weights`, leafWeights]] as const) {
    if (list.length !== leafTrees.length) throw new ImportError(`${name} has ${list.length} entries but ${prefix}_treeids has ${leafTrees.length}`);
  }
  if (!leafWeights.every(Number.isFinite)) throw new ImportError(`${prefix}_weights holds a number that is not finite`);

  // Labels and outputs.
  let labels: Label[] = [];
  if (classifier) {
    const strings = attr('classlabels_strings')?.strings ?? [];
    const int64s = attr('classlabels_int64s')?.ints ?? [];
    labels = strings.length > 0 ? strings : int64s;
    if (labels.length < 2) throw new ImportError('the classifier names fewer than 2 classes (classlabels_int64s / classlabels_strings)');
    if (new Set(labels.map(String)).size !== labels.length) throw new ImportError('the classifier names a class twice');
  } else {
    const targets = attr('n_targets')?.i ?? 1;
    if (targets !== 1) throw new ImportError(`n_targets ${targets}: models with several targets are not supported`);
  }
  const nClasses = labels.length;
  const scored = [...new Set(leafIds)].sort((a, b) => a - b);
  const outputsOf = classifier ? nClasses : 1;
  const badId = scored.find((k) => !(Number.isInteger(k) && k >= 0 && k < outputsOf));
  if (badId !== undefined) throw new ImportError(`${prefix}_ids holds ${badId}, not one of the ${outputsOf} output${outputsOf === 1 ? '' : 's'}`);
  const transform = attr('post_transform')?.s ?? 'NONE';
  const baseValues = numbersOf('base_values');
  const allPositive = leafWeights.every((w) => w >= 0);
  // onnxruntime's binary case: two classes and only class id 0 scored, its one score being class 1's.
  const oneScore = classifier && nClasses === 2 && scored.length <= 1 && (scored[0] ?? 0) === 0;
  const outputs = classifier && !oneScore ? nClasses : 1;

  let link: BoostSpec['link'];
  if (transform === 'NONE') link = 'identity';
  else if (transform === 'LOGISTIC') link = 'logistic';
  else if (transform === 'SOFTMAX') link = 'softmax';
  else throw new ImportError(`post_transform ${transform} is not supported (supported: NONE, LOGISTIC, SOFTMAX)`);
  if (!classifier && link === 'softmax') throw new ImportError('post_transform SOFTMAX on a regressor is not supported');
  if (classifier && link === 'logistic' && !oneScore) throw new ImportError('post_transform LOGISTIC over one score per class (one-vs-rest) is not supported: its probabilities do not sum to 1');
  if (oneScore && link === 'softmax') throw new ImportError('post_transform SOFTMAX on the one score of a two-class classifier is not supported');
  if (oneScore && link === 'identity' && !allPositive) throw new ImportError('a two-class classifier that gives raw scores (post_transform NONE, negative weights) gives no probabilities: export it without raw scores (skl2onnx option raw_scores=False)');
  if (baseValues.length !== 0 && baseValues.length !== outputs) throw new ImportError(`base_values has ${baseValues.length} entries for ${outputs} output${outputs === 1 ? '' : 's'}`);
  if (!baseValues.every(Number.isFinite)) throw new ImportError('base_values holds a number that is not finite');
  const aggregate = attr('aggregate_function')?.s ?? 'SUM';
  if (!classifier && aggregate !== 'SUM' && aggregate !== 'AVERAGE') throw new ImportError(`aggregate_function ${aggregate} is not supported (supported: SUM, AVERAGE)`);

  // Nodes of each tree, by node id; trees in the order of their first node.
  const trees = new Map<number, Map<number, number>>();
  for (let i = 0; i < size; i++) {
    let nodes = trees.get(treeIds[i]);
    if (nodes === undefined) trees.set(treeIds[i], (nodes = new Map()));
    if (nodes.has(nodeIds[i])) throw new ImportError(`tree ${treeIds[i]} has node ${nodeIds[i]} twice`);
    nodes.set(nodeIds[i], i);
  }
  // Leaf weights: (tree, node) → output → weight.
  const weights = new Map<number, Map<number, number>>();
  for (let j = 0; j < leafTrees.length; j++) {
    const i = trees.get(leafTrees[j])?.get(leafNodes[j]);
    if (i === undefined) throw new ImportError(`${prefix} weight ${j} names node ${leafNodes[j]} of tree ${leafTrees[j]}, which does not exist`);
    let byOutput = weights.get(i);
    if (byOutput === undefined) weights.set(i, (byOutput = new Map()));
    const output = oneScore ? 0 : leafIds[j];
    byOutput.set(output, (byOutput.get(output) ?? 0) + leafWeights[j]);
  }
  const nTrees = trees.size;
  // scikit-learn's forests: every leaf's weights are fractions of 1/n (two classes: class 1's only).
  const averaged = classifier && link === 'identity' && allPositive && baseValues.every((b) => b === 0) && [...weights.values()].every((byOutput) => {
    let sum = 0;
    for (const w of byOutput.values()) sum += w;
    return sum <= (1 / nTrees) * (1 + 1e-6);
  });
  const perOutput = averaged ? Array.from({ length: outputs }, (_, k) => k) : null;

  let maxFeature = -1;
  let totalNodes = 0;
  const forestTrees: Tree[] = [];
  const treeClass: number[] = [];
  const threshold = (mode: Mode, c: number, lessThan: boolean): number => {
    if (!Number.isFinite(c)) throw new ImportError(`a ${mode} split has threshold ${c}, not a finite number`);
    if (float32) return lessThan ? float32LessThanAsDoubleLessEqual(c) : float32LessEqualAsDoubleLessEqual(c);
    return lessThan ? previousDouble(c) : c;
  };
  for (const [treeId, nodes] of trees) {
    const root = rootOf(treeId, nodes, trueIds, falseIds, modes);
    const touched = perOutput ?? [...new Set([...nodes.values()].flatMap((i) => [...(weights.get(i)?.keys() ?? [])]))].sort((a, b) => a - b);
    for (const output of touched.length === 0 ? [0] : touched) {
      const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], missingLeft: [] };
      const node = (feature: number, t: number, missingLeft: boolean): number => {
        if (++totalNodes > MAX_ONNX_NODES) throw new ImportError(`the converted trees would hold more than ${MAX_ONNX_NODES} nodes`);
        tree.feature.push(feature);
        tree.threshold.push(t);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.value.push(0);
        (tree.missingLeft as number[]).push(missingLeft ? 1 : 0);
        return tree.feature.length - 1;
      };
      // Depth-first copy from the root; `attach` sets the child link of the node that asked for this one.
      const stack: Array<{ onnx: number; attach: (ours: number) => void }> = [{ onnx: root, attach: () => undefined }];
      while (stack.length > 0) {
        const { onnx, attach } = stack.pop() as { onnx: number; attach: (ours: number) => void };
        const mode = modes[onnx] as Mode;
        if (mode === 'LEAF') {
          const ours = node(-1, 0, false);
          const w = weights.get(onnx)?.get(output) ?? 0;
          tree.value[ours] = averaged ? recoverFraction(w, nTrees) : w;
          attach(ours);
          continue;
        }
        const feature = featureIds[onnx];
        if (!(Number.isInteger(feature) && feature >= 0)) throw new ImportError(`tree ${treeId} splits on feature ${feature}`);
        maxFeature = Math.max(maxFeature, feature);
        const tracksTrue = (tracks[onnx] ?? 0) !== 0;
        const childOf = (id: number): number => {
          const child = nodes.get(id);
          if (child === undefined) throw new ImportError(`tree ${treeId} node ${nodeIds[onnx]} names child ${id}, which does not exist`);
          if (tree.feature.length > nodes.size * 64 + 1024) throw new ImportError(`tree ${treeId} does not end: its nodes form a cycle or copy too much`);
          return child;
        };
        const yes = childOf(trueIds[onnx]);
        const no = childOf(falseIds[onnx]);
        const c = values[onnx];
        const split = (t: number, missingLeft: boolean, left: number, right: number, at: (ours: number) => void): void => {
          const ours = node(feature, t, missingLeft);
          at(ours);
          stack.push({ onnx: right, attach: (child) => { tree.right[ours] = child; } });
          stack.push({ onnx: left, attach: (child) => { tree.left[ours] = child; } });
        };
        if (mode === 'BRANCH_LEQ') split(threshold(mode, c, false), tracksTrue, yes, no, attach);
        else if (mode === 'BRANCH_LT') split(threshold(mode, c, true), tracksTrue, yes, no, attach);
        else if (mode === 'BRANCH_GT') split(threshold(mode, c, false), !tracksTrue, no, yes, attach);
        else if (mode === 'BRANCH_GTE') split(threshold(mode, c, true), !tracksTrue, no, yes, attach);
        else {
          // x == c is x <= c and not x < c: two splits. EQ: outer (x <= c) → inner, else false; inner (x < c) →
          // false, else true. NEQ the other way round; NaN != c holds, so NEQ sends NaN to true always.
          const equal = mode === 'BRANCH_EQ';
          const outer = node(feature, threshold(mode, c, false), equal && tracksTrue);
          attach(outer);
          const inner = node(feature, threshold(mode, c, true), false);
          tree.left[outer] = inner;
          const [outerRight, innerLeft, innerRight] = equal ? [no, no, yes] : [yes, yes, no];
          stack.push({ onnx: outerRight, attach: (child) => { tree.right[outer] = child; } });
          stack.push({ onnx: innerRight, attach: (child) => { tree.right[inner] = child; } });
          stack.push({ onnx: innerLeft, attach: (child) => { tree.left[inner] = child; } });
        }
      }
      forestTrees.push(tree);
      treeClass.push(output);
    }
  }

  let nFeatures = maxFeature + 1;
  if (declared !== null) {
    if (declared < nFeatures) throw new ImportError(`the input has ${declared} features but a split uses feature ${maxFeature}`);
    nFeatures = declared;
  }
  if (nFeatures < 1) throw new ImportError('the ensemble splits on no feature and its input declares no width: give the input a shape [N, features]');
  const base = baseValues.length === 0 ? new Array<number>(outputs).fill(0) : baseValues;
  const boost: BoostSpec = {
    link,
    base,
    ...(outputs > 1 ? { treeClass } : {}),
    ...(averaged || aggregate === 'AVERAGE' ? { average: true } : {}),
    // onnxmltools writes XGBoost's splits as BRANCH_LT: sum in float32 as XGBoost does.
    ...(float32 && modes.every((mode) => mode === 'BRANCH_LT' || mode === 'LEAF') ? { float32: true } : {}),
  };
  return {
    task: classifier ? 'classification' : 'regression',
    forest: { kind: TREES_KIND, nFeatures, nClasses, boost, trees: forestTrees },
    featureNames: null,
    nClasses,
    ...(classifier ? { labels } : {}),
    source: {
      library: 'onnx',
      ...(model.producerName === '' ? {} : { producer: `${model.producerName}${model.producerVersion === '' ? '' : ` ${model.producerVersion}`}` }),
      objective: `${ensemble.opType} ${transform}`,
      trees: nTrees,
    },
  };
}

/** The ensemble's input: the graph's one input, through Cast/Identity; whether it reaches the ensemble as float32, and its declared width. */
function ensembleInput(model: OnnxModel, ensemble: OnnxNode): { float32: boolean; nFeatures: number | null } {
  const inputs = model.inputs.filter((input) => !model.initializers.has(input.name));
  if (inputs.length !== 1) throw new ImportError(`the graph has ${inputs.length} inputs: a tree ensemble reads one tensor of features`);
  const input = inputs[0];
  let name = ensemble.inputs[0];
  let type: number | null = null;
  for (let hops = 0; name !== input.name; hops++) {
    const producer = model.nodes.find((node) => node.outputs.includes(name));
    if (producer === undefined || hops > 8 || !['Cast', 'Identity'].includes(producer.opType)) {
      throw new ImportError(`the tree ensemble reads "${name}", which is not the graph's input "${input.name}" (through Cast or Identity only)`);
    }
    if (producer.opType === 'Cast' && type === null) type = producer.attributes.get('to')?.i ?? null;
    name = producer.inputs[0];
  }
  type ??= input.elemType;
  if (type !== DATA_TYPE.FLOAT && type !== DATA_TYPE.DOUBLE) {
    throw new ImportError(`the tree ensemble reads a tensor of type ${type}: only float and double features are supported`);
  }
  const shape = input.shape;
  const width = shape !== null && shape.length === 2 && typeof shape[1] === 'number' && shape[1] > 0 ? shape[1] : null;
  return { float32: type === DATA_TYPE.FLOAT, nFeatures: width };
}

/** The node no other node of the tree points to. */
function rootOf(treeId: number, nodes: Map<number, number>, trueIds: number[], falseIds: number[], modes: string[]): number {
  const children = new Set<number>();
  for (const i of nodes.values()) {
    if (modes[i] !== 'LEAF') {
      children.add(trueIds[i]);
      children.add(falseIds[i]);
    }
  }
  const roots = [...nodes.entries()].filter(([id]) => !children.has(id));
  if (roots.length !== 1) throw new ImportError(`tree ${treeId} has ${roots.length === 0 ? 'no root (its nodes form a cycle)' : `${roots.length} roots`}`);
  return roots[0][1];
}

/**
 * A scikit-learn forest leaf's class fraction p from the float32 weight w = float32(p / n) skl2onnx wrote: the
 * simplest fraction (smallest denominator) among the numbers that round to w when divided by n. A leaf's fraction
 * is a ratio of row counts (1 for a pure leaf, 2/3 of three rows), so this is it unless the leaf holds thousands of
 * rows; then it is still within w's float32 rounding. Computed as numerator / denominator, it is the very double
 * scikit-learn divides out.
 */
export function recoverFraction(w: number, n: number): number {
  if (w <= 0) return 0;
  // The numbers that round to w: half-way to its float32 neighbours (a double weight: to its double neighbours).
  const single = Math.fround(w) === w;
  const below = single ? previousFloat32(w) : previousDouble(w);
  const above = single ? nextFloat32(w) : -previousDouble(-w);
  const low = Math.max(0, (w - ((w - below) / 2) * 0.999) * n);
  const high = Math.min(1, (w + ((above - w) / 2) * 0.999) * n);
  const fraction = simplestBetween(low, high);
  return fraction !== null && fraction[1] <= 2 ** 31 ? fraction[0] / fraction[1] : w * n;
}

/** The fraction with the smallest denominator in [low, high] (0 <= low <= high), by continued fractions; null if not found. */
function simplestBetween(low: number, high: number): [number, number] | null {
  // Convergents h/k of the continued fraction being built.
  let [h0, k0, h1, k1] = [0, 1, 1, 0];
  let [x, y] = [low, high];
  for (let depth = 0; depth < 40; depth++) {
    const whole = Math.floor(x);
    if (whole === x || whole + 1 <= y) {
      const a = whole === x ? whole : whole + 1;
      return [a * h1 + h0, a * k1 + k0];
    }
    [h0, k0, h1, k1] = [h1, k1, whole * h1 + h0, whole * k1 + k0];
    [x, y] = [1 / (y - whole), 1 / (x - whole)];
  }
  return null;
}
