/**
 * Explanations of single predictions: exact SHAP values of a tree ensemble by TreeSHAP (Lundberg, Erion and Lee,
 * 2018, "Consistent individualized feature attribution for tree ensembles", Algorithm 2), path-dependent: a
 * feature outside the coalition follows both children of a split, weighted by the training rows that went each way
 * (the node `cover`s the trainers write, forest-format.ts).
 *
 * For each tree, base + Σ contributions = the tree's output, exactly (up to rounding), where base is the tree's
 * expected output over its training rows. The forest's output is an average of its trees, so the forest's
 * explanation is the average of theirs:
 *
 * - regression: the leaf values; base + Σ = the predicted value (the mean of the trees);
 * - classification: a tree outputs 1 when its leaf votes the winning class, else 0; base + Σ = the winning class's
 *   vote fraction (the prediction's `confidence` and its entry in `probabilities`);
 * - isolation forest: the leaves' path lengths; base + Σ = the mean path length E[h(x)], exactly. The anomaly
 *   score s = 2^(−E[h(x)] / c(ψ)) is not linear in the path lengths, so no split of it is a Shapley value of the
 *   trees. `explainScore` scales every path-length contribution by the one factor (s(x) − s(base)) / (E[h(x)] −
 *   base): the contributions then add up exactly to the score, keep their ranking and their meaning (a feature
 *   that shortens the path raises the score), but they are the path length's Shapley values rescaled, not the
 *   score's own.
 *
 * A forest whose trees carry no covers (files written before covers existed, ml-random-forest imports) cannot be
 * explained: {@link explainerFor} says why.
 */
import { isPathLengthForest, isTreeForest, type AnyForest, type Tree, type TreeForest } from './forest-format';
import { averagePathLength, isolationScore } from './isolation-forest';

/** Deeper trees are not explained: the walk recurses once per level (ours stay far below, see docs/explanations.md). */
export const MAX_EXPLAIN_DEPTH = 1000;

export interface Contribution {
  feature: string;
  /** The feature's value in the explained row; null when it was missing (model-predict `missing: allow`). */
  value: number | null;
  contribution: number;
}

/** base + the sum of every feature's contribution = the explained output. */
export interface Explanation {
  base: number;
  contributions: Contribution[];
  /**
   * A change forecast (model file `forecast.changeFrom`): the feature whose value the forest's change is added to,
   * and that value, which `base` includes (base = the forest's expected change + value).
   */
  changeFrom?: { feature: string; value: number };
  /**
   * A boosted classifier: what base + contributions add up to, when it is not the prediction's own confidence.
   * `log-odds` (link logistic): ln(p / (1 − p)) of the predicted label; `margin` (link softmax): the predicted class's
   * score before the softmax. Both are XGBoost's `pred_contribs`, as SHAP explains such models.
   */
  scale?: 'log-odds' | 'margin';
}

/** Every feature's SHAP value, in the forest's feature order, and the base they start from. */
export interface ShapValues {
  base: number;
  /** One per feature (nFeatures entries). */
  values: Float64Array;
}

/** Why a forest cannot be explained, or null when it can. */
export function explainUnavailable(forest: AnyForest | undefined): string | null {
  if (forest === undefined) return 'the model has no trees to explain';
  if (!isTreeForest(forest)) return 'an imported ml-random-forest model records no training rows per node (covers): explanations need a model trained by this package';
  for (const tree of forest.trees) {
    if (tree.cover === undefined && forest.boost !== undefined) return 'the imported model\'s file records no training rows per node (covers): explanations need them (XGBoost\'s JSON model has them; ONNX files do not)';
    if (tree.cover === undefined) return 'the model file records no training rows per node (covers); it was written before explanations existed: train it again to explain its predictions';
  }
  for (const tree of forest.trees) {
    if (treeDepth(tree) > MAX_EXPLAIN_DEPTH) return `a tree is deeper than ${MAX_EXPLAIN_DEPTH} levels: too deep to explain`;
  }
  if (forest.boost?.average === true) return 'explanations of an averaged imported forest are not offered yet';
  if (forest.boost !== undefined && forest.nClasses > 0 && forest.boost.link === 'identity') {
    return 'explanations of an imported classifier whose leaves hold class fractions are not offered yet';
  }
  return null;
}

/** Why TreeSHAP cannot walk `forest` at all (no covers, too deep), or null; a boosted forest's margin always can. */
function cannotWalk(forest: TreeForest): string | null {
  const reason = explainUnavailable({ ...forest, boost: undefined });
  return reason;
}

/**
 * Writes every tree's `cover` by sending `rows` (nFeatures values each, in the model's order) down it, as a
 * prediction would: a node's cover is the number of rows that reach it. For forests written without covers (older
 * files, imports) when their training rows are at hand. Trainers count a bootstrap sample with its repeats; the
 * rows given here count once each, which changes the expectations only by sampling noise.
 */
export function coversFromRows(forest: TreeForest, rows: ReadonlyArray<ArrayLike<number>>): void {
  for (const tree of forest.trees) {
    const cover = new Array<number>(tree.feature.length).fill(0);
    for (const row of rows) {
      let node = 0;
      cover[0]++;
      while (tree.left[node] !== -1) {
        const x = row[tree.feature[node]];
        const goesLeft = x !== x ? tree.missingLeft?.[node] === 1 : x <= tree.threshold[node];
        node = goesLeft ? tree.left[node] : tree.right[node];
        cover[node]++;
      }
    }
    tree.cover = cover;
  }
}

/** A forest's explainer, or the reason it has none. */
export function explainerFor(forest: AnyForest | undefined): { ok: true; explainer: ForestExplainer } | { ok: false; reason: string } {
  const reason = explainUnavailable(forest);
  if (reason !== null) return { ok: false, reason };
  return { ok: true, explainer: new ForestExplainer(forest as TreeForest) };
}

/** The deepest leaf's depth (root: 0), walked without recursion; Infinity for a graph that is not a tree. */
function treeDepth(tree: Tree): number {
  let deepest = 0;
  let visited = 0;
  const pending: number[] = [0, 0];
  while (pending.length > 0) {
    // A checked forest reaches each node once (forest-format.ts); an unchecked one must not loop for ever.
    if (++visited > tree.feature.length) return Infinity;
    const depth = pending.pop() as number;
    const node = pending.pop() as number;
    if (tree.left[node] === -1) {
      deepest = Math.max(deepest, depth);
      continue;
    }
    pending.push(tree.left[node], depth + 1, tree.right[node], depth + 1);
  }
  return deepest;
}

/** A tree in flat typed arrays for the walk, with each split's shares of training rows worked out once. */
interface FlatTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  missingLeft: Uint8Array;
  leftShare: Float64Array;
  rightShare: Float64Array;
}

function flatten(tree: Tree): FlatTree {
  const size = tree.feature.length;
  const flat: FlatTree = {
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    value: Float64Array.from(tree.value),
    missingLeft: tree.missingLeft === undefined ? new Uint8Array(size) : Uint8Array.from(tree.missingLeft),
    leftShare: new Float64Array(size),
    rightShare: new Float64Array(size),
  };
  for (let node = 0; node < size; node++) {
    if (tree.left[node] === -1) continue;
    const [leftShare, rightShare] = childShares(tree, node);
    flat.leftShare[node] = leftShare;
    flat.rightShare[node] = rightShare;
  }
  return flat;
}

/**
 * TreeSHAP over a forest of the package's own form whose trees all carry covers. One instance owns its working
 * memory: it is not re-entrant, which JavaScript's single thread makes safe.
 */
export class ForestExplainer {
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly isolation: boolean;
  /**
   * The work of one explanation in tree-node visits, as model-predict bounds a message's work: every node of every
   * tree, each costing its unique path's length (at most min(depth, nFeatures) + 1).
   */
  readonly visitsPerRow: number;
  private readonly trees: FlatTree[];
  /** Regression and isolation: the mean over the trees of their expected output. */
  private readonly expectedValue: number;
  /** Classification: per class, the mean over the trees of the chance their leaf votes it. */
  private readonly expectedVote: Float64Array;
  private readonly sampleSize: number;
  // The unique path of Algorithm 2, one segment per level of the walk: split feature, zero and one fractions, weight.
  private pathFeature: Int32Array;
  private pathZero: Float64Array;
  private pathOne: Float64Array;
  private pathWeight: Float64Array;
  /** 1 / i for the small integers the walk divides by. */
  private readonly inverse: Float64Array;
  // The walk in progress.
  private row: Float64Array = new Float64Array(0);
  private tree: FlatTree;
  /**
   * Classification with at most 31 classes: per tree and node, bit c set when a leaf below votes class c. A subtree
   * without the explained class adds nothing, so the walk skips it (a third to half of a classifier's leaves).
   */
  private readonly classMasks: Int32Array[] | null;
  private classMask: Int32Array | null = null;
  private phi: Float64Array;
  /** Classification: the class whose votes are explained; −1 for a leaf's own value. */
  private votedClass = -1;
  /** Boosted forests: the output each tree adds to, and per output base + Σ of its trees' expected leaf values. */
  private readonly treeOutput: Int32Array | null;
  private readonly expectedMargin: Float64Array;

  constructor(forest: TreeForest) {
    const reason = cannotWalk(forest);
    if (reason !== null) throw new Error(reason);
    this.nFeatures = forest.nFeatures;
    this.nClasses = forest.nClasses;
    this.isolation = isPathLengthForest(forest);
    const boost = forest.boost;
    this.treeOutput = boost === undefined ? null : Int32Array.from(forest.trees, (_, t) => boost.treeClass?.[t] ?? 0);
    this.expectedMargin = Float64Array.from(boost?.base ?? []);
    this.sampleSize = forest.sampleSize ?? 0;
    this.trees = forest.trees.map(flatten);
    this.tree = this.trees[0];
    this.phi = new Float64Array(this.nFeatures);
    let deepest = 0;
    let expected = 0;
    let visits = 0;
    this.expectedVote = new Float64Array(Math.max(1, this.nClasses));
    for (let t = 0; t < forest.trees.length; t++) {
      const tree = forest.trees[t];
      const depth = treeDepth(tree);
      deepest = Math.max(deepest, depth);
      visits += tree.feature.length * (Math.min(depth, this.nFeatures) + 1);
      // The chance of each leaf among the training rows, as the walk's fractions multiply it.
      const pending: number[] = [0, 1];
      while (pending.length > 0) {
        const chance = pending.pop() as number;
        const node = pending.pop() as number;
        if (tree.left[node] === -1) {
          if (this.treeOutput !== null) this.expectedMargin[this.treeOutput[t]] += chance * tree.value[node];
          else if (this.nClasses > 0) this.expectedVote[tree.value[node]] += chance;
          else expected += chance * tree.value[node];
          continue;
        }
        const [leftShare, rightShare] = childShares(tree, node);
        pending.push(tree.left[node], chance * leftShare, tree.right[node], chance * rightShare);
      }
    }
    this.visitsPerRow = visits;
    this.classMasks = this.nClasses > 0 && this.nClasses <= 31 && boost === undefined ? forest.trees.map(classMaskOf) : null;
    const nTrees = forest.trees.length;
    this.expectedValue = expected / nTrees;
    for (let c = 0; c < this.expectedVote.length; c++) this.expectedVote[c] /= nTrees;
    // Level d holds a path of at most min(d, nFeatures) + 1 entries, at most one gap between levels.
    const capacity = (deepest + 2) * (Math.min(deepest, this.nFeatures) + 3);
    this.pathFeature = new Int32Array(capacity);
    this.pathZero = new Float64Array(capacity);
    this.pathOne = new Float64Array(capacity);
    this.pathWeight = new Float64Array(capacity);
    this.inverse = Float64Array.from({ length: Math.min(deepest, this.nFeatures) + 3 }, (_, i) => (i === 0 ? 0 : 1 / i));
  }

  /**
   * The SHAP values of the forest's raw output for `row` (nFeatures values in the model's order): the mean of the
   * trees' outputs for regression and isolation forests (the mean path length), the vote fraction of `classIndex`
   * for classification.
   */
  shapValues(row: ArrayLike<number>, classIndex = -1): ShapValues {
    if (row.length < this.nFeatures) throw new RangeError(`a row has ${row.length} values, the forest needs ${this.nFeatures}`);
    if (this.treeOutput !== null) {
      if (this.expectedMargin.length > 1 || this.nClasses === 0) return this.marginValues(row, this.expectedMargin.length > 1 ? classIndex : 0);
      // Link logistic: one margin, class 1's log-odds; class 0's are its negative.
      const margin = this.marginValues(row, 0);
      return classIndex === 0 ? { base: -margin.base, values: margin.values.map((v) => -v) } : margin;
    }
    if (this.nClasses > 0 && !(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < this.nClasses)) {
      throw new RangeError(`classIndex ${classIndex} is not a class of this forest`);
    }
    this.row = Float64Array.from({ length: this.nFeatures }, (_, f) => row[f]);
    this.votedClass = this.nClasses > 0 ? classIndex : -1;
    this.phi = new Float64Array(this.nFeatures);
    for (let t = 0; t < this.trees.length; t++) {
      const tree = this.trees[t];
      this.tree = tree;
      this.classMask = this.classMasks?.[t] ?? null;
      this.walk(0, 0, 0, 1, 1, -1);
    }
    const nTrees = this.trees.length;
    for (let f = 0; f < this.nFeatures; f++) this.phi[f] /= nTrees;
    const base = this.nClasses > 0 ? this.expectedVote[classIndex] : this.expectedValue;
    return { base, values: this.phi };
  }

  /**
   * Boosted forests: the SHAP values of output `output`'s margin (base + the leaves of its trees; XGBoost's
   * `pred_contribs`): its trees' SHAP values summed, not averaged, and base = the base margin + their expected
   * values. For a regression forest with link identity that margin is the predicted value.
   */
  marginValues(row: ArrayLike<number>, output: number): ShapValues {
    const treeOutput = this.treeOutput;
    if (treeOutput === null) throw new Error('marginValues needs a boosted forest');
    if (!(Number.isInteger(output) && output >= 0 && output < this.expectedMargin.length)) throw new RangeError(`output ${output} is not an output of this forest`);
    this.row = Float64Array.from({ length: this.nFeatures }, (_, f) => row[f]);
    this.votedClass = -1;
    this.classMask = null;
    this.phi = new Float64Array(this.nFeatures);
    for (let t = 0; t < this.trees.length; t++) {
      if (treeOutput[t] !== output) continue;
      this.tree = this.trees[t];
      this.walk(0, 0, 0, 1, 1, -1);
    }
    return { base: this.expectedMargin[output], values: this.phi };
  }

  /**
   * Isolation forests: contributions to the anomaly score, from the path length's SHAP values scaled by one
   * factor so that base + Σ = the score exactly (see the top of this file for what that is and is not).
   */
  scoreValues(row: ArrayLike<number>): ShapValues {
    if (!this.isolation) throw new Error('scoreValues needs an isolation forest');
    const path = this.shapValues(row);
    let meanPath = path.base;
    for (let f = 0; f < this.nFeatures; f++) meanPath += path.values[f];
    const baseScore = isolationScore(path.base, this.sampleSize);
    const score = isolationScore(meanPath, this.sampleSize);
    const step = meanPath - path.base;
    // Where the row's path is the base's, the secant is the tangent: ds/dh = −ln 2 / c(ψ) · s.
    const factor = Math.abs(step) > 1e-12 * Math.max(1, Math.abs(meanPath)) ? (score - baseScore) / step : (-Math.LN2 / averagePathLength(this.sampleSize)) * score;
    const values = path.values.map((v) => v * factor);
    return { base: baseScore, values };
  }

  /** One level of Algorithm 2's RECURSE: extends the parent's path (at `parentStart`, `depth` entries) by the split that led here. */
  private walk(node: number, parentStart: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    if (this.classMask !== null && (this.classMask[node] & (1 << this.votedClass)) === 0) return;
    const start = parentStart + depth + 1;
    this.copyPath(parentStart, start, depth);
    this.extend(start, depth, zeroFraction, oneFraction, feature);
    const tree = this.tree;
    const left = tree.left[node];
    if (left === -1) {
      const value = this.votedClass >= 0 ? (tree.value[node] === this.votedClass ? 1 : 0) : tree.value[node];
      if (value === 0) return;
      for (let i = 1; i <= depth; i++) {
        const weight = this.unwoundSum(start, depth, i);
        this.phi[this.pathFeature[start + i]] += weight * (this.pathOne[start + i] - this.pathZero[start + i]) * value;
      }
      return;
    }
    const right = tree.right[node];
    const split = tree.feature[node];
    const x = this.row[split];
    const goesLeft = x !== x ? tree.missingLeft[node] === 1 : x <= tree.threshold[node];
    const leftShare = tree.leftShare[node];
    const rightShare = tree.rightShare[node];
    const hot = goesLeft ? left : right;
    const cold = goesLeft ? right : left;
    let incomingZero = 1;
    let incomingOne = 1;
    let uniqueDepth = depth;
    // A feature split on again above: undo its earlier split, and redo it here with both fractions.
    let k = 1;
    while (k <= uniqueDepth && this.pathFeature[start + k] !== split) k++;
    if (k <= uniqueDepth) {
      incomingZero = this.pathZero[start + k];
      incomingOne = this.pathOne[start + k];
      this.unwind(start, uniqueDepth, k);
      uniqueDepth--;
    }
    const hotZero = (goesLeft ? leftShare : rightShare) * incomingZero;
    const coldZero = (goesLeft ? rightShare : leftShare) * incomingZero;
    // A branch no coalition reaches adds nothing (and its fractions would divide by zero).
    if (hotZero !== 0 || incomingOne !== 0) this.walk(hot, start, uniqueDepth + 1, hotZero, incomingOne, split);
    if (coldZero !== 0) this.walk(cold, start, uniqueDepth + 1, coldZero, 0, split);
  }

  private copyPath(from: number, to: number, count: number): void {
    for (let i = 0; i < count; i++) {
      this.pathFeature[to + i] = this.pathFeature[from + i];
      this.pathZero[to + i] = this.pathZero[from + i];
      this.pathOne[to + i] = this.pathOne[from + i];
      this.pathWeight[to + i] = this.pathWeight[from + i];
    }
  }

  /** EXTEND: adds a split with its zero and one fractions; weights are the share of each coalition size. */
  private extend(start: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    const weight = this.pathWeight;
    this.pathFeature[start + depth] = feature;
    this.pathZero[start + depth] = zeroFraction;
    this.pathOne[start + depth] = oneFraction;
    weight[start + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      weight[start + i + 1] += (oneFraction * weight[start + i] * (i + 1)) / (depth + 1);
      weight[start + i] = (zeroFraction * weight[start + i] * (depth - i)) / (depth + 1);
    }
  }

  /** UNWIND: removes entry `index` from the path of `depth` + 1 entries, undoing its EXTEND. */
  private unwind(start: number, depth: number, index: number): void {
    const weight = this.pathWeight;
    const one = this.pathOne[start + index];
    const zero = this.pathZero[start + index];
    let next = weight[start + depth];
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const kept = weight[start + i];
        weight[start + i] = (next * (depth + 1)) / ((i + 1) * one);
        next = kept - (weight[start + i] * zero * (depth - i)) / (depth + 1);
      } else {
        weight[start + i] = (weight[start + i] * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      this.pathFeature[start + i] = this.pathFeature[start + i + 1];
      this.pathZero[start + i] = this.pathZero[start + i + 1];
      this.pathOne[start + i] = this.pathOne[start + i + 1];
    }
  }

  /** The total weight the path would have without entry `index` (UNWIND summed, the path left unchanged). */
  private unwoundSum(start: number, depth: number, index: number): number {
    const weight = this.pathWeight;
    const one = this.pathOne[start + index];
    const zero = this.pathZero[start + index];
    let next = weight[start + depth];
    let total = 0;
    // Algorithm 2's divisions as multiplications by reciprocals: this is the walk's innermost loop.
    const inverse = this.inverse;
    if (one !== 0) {
      const perOne = (depth + 1) / one;
      const zeroShare = zero * inverse[depth + 1];
      for (let i = depth - 1; i >= 0; i--) {
        const share = next * perOne * inverse[i + 1];
        total += share;
        next = weight[start + i] - share * zeroShare * (depth - i);
      }
    } else if (zero !== 0) {
      const perZero = (depth + 1) / zero;
      for (let i = depth - 1; i >= 0; i--) total += weight[start + i] * perZero * inverse[depth - i];
    }
    return total;
  }
}

/** Per node, bit c set when a leaf below it (or the node itself, a leaf) votes class c. */
function classMaskOf(tree: Tree): Int32Array {
  const mask = new Int32Array(tree.feature.length);
  // Pre-order from the root, then children before parents by walking that order backwards.
  const order: number[] = [];
  const pending = [0];
  while (pending.length > 0) {
    const node = pending.pop() as number;
    order.push(node);
    if (tree.left[node] !== -1) pending.push(tree.left[node], tree.right[node]);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    mask[node] = tree.left[node] === -1 ? 1 << tree.value[node] : mask[tree.left[node]] | mask[tree.right[node]];
  }
  return mask;
}

/** The shares of a split's training rows that went left and right (half each when the split saw none). */
function childShares(tree: Tree, node: number): [number, number] {
  const cover = tree.cover as number[];
  const total = cover[node];
  if (!(total > 0)) return [0.5, 0.5];
  return [cover[tree.left[node]] / total, cover[tree.right[node]] / total];
}

/**
 * Global importance from the same SHAP values: per feature, the mean |contribution| over `rows` (e.g. the held-out
 * rows), for classification to the probability of the class `classOf(row)` gives (the predicted one, typically).
 * At most `maxRows` rows are explained, evenly spaced, as each costs a full walk of the forest.
 */
export function meanAbsoluteShap(
  explainer: ForestExplainer,
  rows: ReadonlyArray<ArrayLike<number>>,
  classOf: (row: ArrayLike<number>) => number = () => -1,
  maxRows = 200,
): Float64Array {
  const sums = new Float64Array(explainer.nFeatures);
  const step = Math.max(1, rows.length / Math.max(1, maxRows));
  let counted = 0;
  for (let at = 0; Math.floor(at) < rows.length && counted < maxRows; at += step) {
    const row = rows[Math.floor(at)];
    const shap = explainer.isolation ? explainer.scoreValues(row) : explainer.shapValues(row, classOf(row));
    for (let f = 0; f < sums.length; f++) sums[f] += Math.abs(shap.values[f]);
    counted++;
  }
  if (counted > 0) for (let f = 0; f < sums.length; f++) sums[f] /= counted;
  return sums;
}

/**
 * The explanation a prediction carries: base and the k contributions of largest |contribution| (all of them when
 * k ≥ nFeatures), largest first; a tie keeps the model's feature order.
 */
export function topContributions(shap: ShapValues, featureNames: readonly string[], row: ArrayLike<number>, k: number): Explanation {
  const order = Array.from({ length: shap.values.length }, (_, f) => f);
  order.sort((a, b) => Math.abs(shap.values[b]) - Math.abs(shap.values[a]) || a - b);
  const contributions = order.slice(0, Math.max(0, k)).map((f) => ({ feature: featureNames[f], value: Number.isNaN(row[f]) ? null : row[f], contribution: shap.values[f] }));
  return { base: shap.base, contributions };
}
