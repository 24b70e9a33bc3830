/**
 * The forest forms a model file may hold in its `forest` property.
 *
 * ## `iot-ai/trees@1` — the package's own form
 *
 * ```
 * { "kind": "iot-ai/trees@1", "nFeatures": 6, "nClasses": 3,
 *   "trees": [ { "feature": [2, -1, 0, -1, -1], "threshold": [21.5, 0, 0.25, 0, 0],
 *                "left": [1, -1, 3, -1, -1], "right": [2, -1, 4, -1, -1], "value": [0, 1, 0, 0, 2] } ] }
 * ```
 * - A tree is five parallel arrays, one entry per node; node 0 is the root.
 * - Node `i` is a leaf when `left[i] === -1` (then `right[i] === -1` and `feature[i] === -1`).
 * - Otherwise the row goes to `left[i]` when `row[feature[i]] <= threshold[i]`, else to `right[i]`. A missing
 *   value (NaN) goes left when the optional `missingLeft[i]` is 1, right when it is 0 or the array is absent.
 *   Thresholds are real feature values (the upper edge of a histogram bin), so trees apply to raw floats.
 * - `value[i]` is the leaf's output: a class index in `[0, nClasses)` for classification, a number for
 *   regression. Internal nodes carry 0 there.
 * - `nClasses` is 0 for a regression forest.
 * - `cover[i]` (optional) counts the training rows that reached node `i`; explanations need it (shap.ts).
 * - Children may appear in any order, but every node is reached at most once from the root (no cycles, no
 *   shared subtrees). Our trainer writes children after their parent.
 *
 * Classification: each tree votes the class of its leaf; the probabilities are the vote fractions and the label
 * is the class with most votes (ties: the lowest class index). Regression: the mean of the trees' outputs, with
 * the population standard deviation of those outputs as `spread`.
 *
 * A **boosted** forest (gradient boosting, and the forests imported from ONNX: src/core/model/import/) is the same
 * form with `boost: { link, base, treeClass?, average? }`: its leaves hold additive scores (any finite number, not
 * class indices), the margin of output k is `base[k]` + the sum (or, with `average`, the mean) of the leaves reached
 * in the trees of output k (`treeClass[t]`, else 0), and the link turns margins into the prediction: `identity`
 * (regression value; a classifier's probabilities as they are), `logistic` (regression value or, with two classes,
 * the probability of class 1) or `softmax` (one output per class). See {@link BoostSpec}.
 *
 * An isolation forest (anomaly models, isolation-forest.ts) is the same form with `nClasses: 0`,
 * `output: "path-length"` and `sampleSize` ψ: each leaf's value is the path length it stands for (its depth
 * plus c(rows left in it)), and the anomaly score is 2^(−mean path length / c(ψ)).
 *
 * ## ml-random-forest `toJSON()` form
 *
 * `{ name: "RFClassifier" | "RFRegression", selectionMethod?, baseModel: { indexes, isClassifier, nEstimators,
 * estimators: [{ name, options, root }] } }` where every estimator sees the feature columns `indexes[t]`, and
 * its ml-cart nodes are `{ splitColumn, splitValue, left, right }` (go left when `x < splitValue`) or leaves
 * holding `distribution` (class fractions `[[p0, p1, ...]]`, or a number for regression). We reproduce
 * ml-random-forest's own `predict()` exactly, including how its mode breaks ties (see ml-random-forest.ts).
 *
 * The full user-facing description lives in docs/model-format.md.
 */

export const TREES_KIND = 'iot-ai/trees@1';

/** One tree of the `iot-ai/trees@1` form: parallel arrays, node 0 is the root, `left[i] === -1` marks a leaf. */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
  /** Optional: 1 where a split sends missing values left (learnt in training); absent means all go right. */
  missingLeft?: number[];
  /**
   * Optional: the training rows that reached each node (bootstrap draws counted with their multiplicity). The
   * trainers write it; explanations (shap.ts) need it, predictions do not.
   */
  cover?: number[];
}

/** A tree with no nodes yet, grown with {@link addTreeNode}. */
export function emptyTree(): Tree {
  return { feature: [], threshold: [], left: [], right: [], value: [] };
}

/** Appends a leaf (feature −1, no children, value 0) and returns its id: ids are given in the order nodes are made. */
export function addTreeNode(tree: Tree): number {
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push(0);
  return tree.feature.length - 1;
}

/** A typed array of twice the length holding `old`'s values first: the trainers' node arrays grow by it. */
export function doubled<T extends Int32Array | Float64Array>(old: T): T {
  const bigger = new (old.constructor as { new (length: number): T })(old.length * 2);
  bigger.set(old);
  return bigger;
}

/** Progress of a trainer that grows `params.nTrees` trees, one a `step()`, so callers can report or yield between. */
export abstract class TreeByTreeTrainer {
  abstract readonly params: { readonly nTrees: number };
  protected readonly trees: Tree[] = [];

  get treesDone(): number {
    return this.trees.length;
  }

  get treesTotal(): number {
    return this.params.nTrees;
  }

  get done(): boolean {
    return this.trees.length >= this.params.nTrees;
  }

  abstract step(): void;
}

/** What the leaves of an isolation forest hold. */
export const PATH_LENGTH_OUTPUT = 'path-length';

/** How a boosted forest's margins become a prediction. */
export type BoostLink = 'identity' | 'logistic' | 'softmax';

/**
 * What a gradient-boosted forest adds to the package's own form (docs/model-format.md#boosted-forests):
 * - `link`: `identity` (regression: value = margin; classification: the margins are the probabilities, one per
 *   class with `treeClass`, else class 1's of 2), `logistic` (regression: value = 1 / (1 + e^−margin);
 *   classification with 2 classes: the probability of class 1), `softmax` (classification: one margin per class);
 * - `base`: the margin every prediction starts from, one per output (see {@link boostOutputs});
 * - `treeClass` (one per tree; required with softmax and with identity over more than 2 classes): the output each
 *   tree adds to;
 * - `average` (optional): each output's leaves are averaged over its trees instead of summed (a forest's mean, as
 *   scikit-learn's RandomForest and ExtraTrees predict), then `base` is added;
 * - `float32` (optional): sum the margins and apply the link in float32, rounding after every step, as XGBoost
 *   does (its predictions are float32), so a probability near 0 or 1 and its complement match its digits.
 */
export interface BoostSpec {
  link: BoostLink;
  base: number[];
  treeClass?: number[];
  average?: boolean;
  float32?: boolean;
}

/**
 * The outputs (margins) a boosted forest sums into: one per class under softmax, and under identity in a classifier
 * with `treeClass`; else one (a regression value, or class 1's probability of 2 classes).
 */
export function boostOutputs(forest: TreeForest): number {
  const boost = forest.boost;
  if (boost === undefined) return 1;
  const perClass = boost.link === 'softmax' || (boost.link === 'identity' && forest.nClasses > 0 && boost.treeClass !== undefined);
  return perClass ? forest.nClasses : 1;
}

/** The package's own forest form. */
export interface TreeForest {
  kind: typeof TREES_KIND;
  nFeatures: number;
  /** 0 for regression (and isolation forests). */
  nClasses: number;
  /** Isolation forests only: leaves hold path lengths (absent: class indices or regression values). */
  output?: typeof PATH_LENGTH_OUTPUT;
  /** Isolation forests only: ψ, the rows each tree was grown on (normalises the mean path length). */
  sampleSize?: number;
  /** Boosted forests only: leaves hold additive scores, summed per output from `base` and passed through `link`. */
  boost?: BoostSpec;
  trees: Tree[];
}

export function isBoostedForest(forest: AnyForest | undefined): boolean {
  return forest !== undefined && isTreeForest(forest) && forest.boost !== undefined;
}

export function isPathLengthForest(forest: TreeForest): boolean {
  return forest.output === PATH_LENGTH_OUTPUT;
}

/** An ml-cart node as found in ml-random-forest's `toJSON()` output (after a JSON round trip). */
export interface MlCartNode {
  splitColumn?: number;
  splitValue?: number;
  left?: MlCartNode;
  right?: MlCartNode;
  /** Leaves only: `[[fractions...]]` (classifier) or the mean (regression). */
  distribution?: number | number[] | number[][];
  [other: string]: unknown;
}

/** ml-random-forest's `RandomForestClassifier#toJSON()` / `RandomForestRegression#toJSON()` output. */
export interface MlRandomForestJson {
  name: 'RFClassifier' | 'RFRegression';
  selectionMethod?: 'mean' | 'median';
  baseModel: {
    indexes: number[][];
    isClassifier: boolean;
    nEstimators: number;
    estimators: Array<{ name?: string; root: MlCartNode; [other: string]: unknown }>;
    [other: string]: unknown;
  };
}

export type AnyForest = TreeForest | MlRandomForestJson;

export function isTreeForest(forest: AnyForest): forest is TreeForest {
  return (forest as TreeForest).kind === TREES_KIND;
}

/**
 * Checks what a JSON Schema cannot: equal array lengths, indices in range, a tree (not a graph) under each
 * root, leaf values that fit the task. Returns the first problem as a readable sentence, or null.
 */
export function checkTreeForest(forest: TreeForest): string | null {
  const { nFeatures, nClasses } = forest;
  if (!Number.isInteger(nFeatures) || nFeatures < 1) return `forest.nFeatures must be a positive integer`;
  if (!Number.isInteger(nClasses) || nClasses < 0) return `forest.nClasses must be an integer >= 0`;
  if (forest.trees.length === 0) return 'forest has no trees';
  const pathLengths = forest.output !== undefined;
  if (pathLengths) {
    if (forest.output !== PATH_LENGTH_OUTPUT) return `forest.output must be "${PATH_LENGTH_OUTPUT}"`;
    if (nClasses !== 0) return 'an isolation forest (output "path-length") must have nClasses 0';
    if (!(Number.isInteger(forest.sampleSize) && (forest.sampleSize as number) >= 2)) {
      return 'an isolation forest needs sampleSize, an integer >= 2';
    }
  } else if (forest.sampleSize !== undefined) {
    return 'forest.sampleSize belongs to an isolation forest (output "path-length")';
  }
  const boost = forest.boost;
  if (boost !== undefined) {
    const problem = checkBoost(forest, boost);
    if (problem !== null) return problem;
  }
  let reached = new Uint8Array(0);
  for (let t = 0; t < forest.trees.length; t++) {
    const tree = forest.trees[t];
    const where = `forest.trees[${t}]`;
    const size = tree.feature.length;
    if (size === 0) return `${where} has no nodes`;
    for (const key of ['threshold', 'left', 'right', 'value'] as const) {
      if (tree[key].length !== size) {
        return `${where}.${key} has ${tree[key].length} entries but feature has ${size}`;
      }
    }
    if (tree.missingLeft !== undefined) {
      if (tree.missingLeft.length !== size) return `${where}.missingLeft has ${tree.missingLeft.length} entries but feature has ${size}`;
      if (!tree.missingLeft.every((m) => m === 0 || m === 1)) return `${where}.missingLeft must hold only 0 and 1`;
    }
    if (tree.cover !== undefined) {
      if (tree.cover.length !== size) return `${where}.cover has ${tree.cover.length} entries but feature has ${size}`;
      if (!tree.cover.every((c) => Number.isFinite(c) && c >= 0)) return `${where}.cover must hold finite numbers >= 0`;
    }
    if (reached.length < size) reached = new Uint8Array(size);
    else reached.fill(0, 0, size);
    // Walk from the root: a node reached twice means a cycle or a shared subtree.
    const pending = [0];
    reached[0] = 1;
    while (pending.length > 0) {
      const node = pending.pop() as number;
      const at = `${where} node ${node}`;
      const left = tree.left[node];
      const right = tree.right[node];
      const feature = tree.feature[node];
      if (left === -1 || right === -1) {
        if (left !== -1 || right !== -1) return `${at}: left and right must both be -1 for a leaf`;
        if (feature !== -1) return `${at}: a leaf must have feature -1, found ${feature}`;
        const value = tree.value[node];
        if (!Number.isFinite(value)) return `${at}: leaf value must be a finite number`;
        if (pathLengths && value < 0) return `${at}: a path length must be >= 0, found ${value}`;
        if (nClasses > 0 && boost === undefined && !(Number.isInteger(value) && value >= 0 && value < nClasses)) {
          return `${at}: leaf value ${value} is not a class index in [0, ${nClasses})`;
        }
        continue;
      }
      if (!(Number.isInteger(feature) && feature >= 0 && feature < nFeatures)) {
        return `${at}: feature ${feature} is out of range [0, ${nFeatures})`;
      }
      if (!Number.isFinite(tree.threshold[node])) return `${at}: threshold must be a finite number`;
      for (const child of [left, right]) {
        if (!(Number.isInteger(child) && child >= 0 && child < size)) {
          return `${at}: child index ${child} is out of range [0, ${size})`;
        }
        if (reached[child] === 1) return `${at}: node ${child} is reached twice (a cycle or a shared subtree)`;
        reached[child] = 1;
        pending.push(child);
      }
    }
  }
  return null;
}

/** A boosted forest's link fits its task, its base one margin per output, its treeClass one output per tree. */
function checkBoost(forest: TreeForest, boost: BoostSpec): string | null {
  const { nClasses } = forest;
  if (forest.output !== undefined) return 'an isolation forest (output "path-length") cannot be boosted';
  if (!['identity', 'logistic', 'softmax'].includes(boost.link)) return `forest.boost.link must be "identity", "logistic" or "softmax"`;
  if (nClasses === 0 && boost.link === 'softmax') return 'forest.boost.link "softmax" needs classes (nClasses >= 2); a regression forest links by "identity" or "logistic"';
  if (nClasses === 1) return 'a boosted classification forest needs at least 2 classes';
  if (nClasses > 2 && boost.link === 'identity' && boost.treeClass === undefined) return `forest.boost.link "identity" without treeClass gives the probability of class 1 of 2 classes, but the forest has ${nClasses}: give each tree's class in treeClass`;
  if (nClasses > 2 && boost.link === 'logistic') return `forest.boost.link "logistic" gives the probability of class 1 of 2 classes, but the forest has ${nClasses}: use "softmax"`;
  const outputs = boostOutputs(forest);
  if (boost.base.length !== outputs) return `forest.boost.base has ${boost.base.length} entries but the forest has ${outputs} output${outputs === 1 ? '' : 's'}`;
  if (!boost.base.every(Number.isFinite)) return 'forest.boost.base must hold finite numbers';
  if (boost.average !== undefined && typeof boost.average !== 'boolean') return 'forest.boost.average must be true or false';
  if (boost.treeClass === undefined) return outputs === 1 ? null : 'forest.boost.treeClass (the class of each tree) is required with link "softmax"';
  if (boost.treeClass.length !== forest.trees.length) return `forest.boost.treeClass has ${boost.treeClass.length} entries but there are ${forest.trees.length} trees`;
  const bad = boost.treeClass.findIndex((k) => !(Number.isInteger(k) && k >= 0 && k < outputs));
  if (bad !== -1) return `forest.boost.treeClass[${bad}] is ${boost.treeClass[bad]}, not an output in [0, ${outputs})`;
  const treeless = Array.from({ length: outputs }, (_, k) => k).find((k) => !(boost.treeClass as number[]).includes(k));
  return boost.average === true && treeless !== undefined ? `forest.boost.average: output ${treeless} has no trees to average` : null;
}

/**
 * Walks every ml-cart tree iteratively (deep trees must not overflow the stack) and checks that split columns
 * exist in the estimator's `indexes`, that class distributions fit `nClasses` and that `indexes` name real
 * features. Returns the first problem, or null.
 */
export function checkMlRandomForest(forest: MlRandomForestJson, nFeatures: number, nClasses: number): string | null {
  const base = forest.baseModel;
  const isClassifier = forest.name === 'RFClassifier';
  if (base.isClassifier !== isClassifier) {
    return `forest.baseModel.isClassifier is ${base.isClassifier} but forest.name is ${forest.name}`;
  }
  if (base.estimators.length === 0) return 'forest has no estimators';
  if (base.nEstimators !== base.estimators.length) {
    return `forest.baseModel.nEstimators is ${base.nEstimators} but there are ${base.estimators.length} estimators`;
  }
  if (base.indexes.length !== base.estimators.length) {
    return `forest.baseModel.indexes has ${base.indexes.length} entries for ${base.estimators.length} estimators`;
  }
  for (let t = 0; t < base.estimators.length; t++) {
    const columns = base.indexes[t];
    for (const column of columns) {
      if (!(Number.isInteger(column) && column >= 0 && column < nFeatures)) {
        return `forest.baseModel.indexes[${t}] names feature ${column}, outside [0, ${nFeatures})`;
      }
    }
    const pending: MlCartNode[] = [base.estimators[t].root];
    while (pending.length > 0) {
      const node = pending.pop() as MlCartNode;
      const at = `forest.baseModel.estimators[${t}]`;
      if (node.distribution !== undefined) {
        const distribution = node.distribution;
        if (isClassifier) {
          const fractions = leafFractions(distribution);
          if (fractions === null || fractions.length === 0) return `${at}: a classifier leaf needs a class distribution`;
          if (fractions.length > nClasses) {
            return `${at}: a leaf distribution has ${fractions.length} classes but the model has ${nClasses} labels`;
          }
        } else if (typeof distribution !== 'number') {
          return `${at}: a regression leaf needs a number as its distribution`;
        }
        continue;
      }
      const column = node.splitColumn;
      if (!(Number.isInteger(column) && (column as number) >= 0 && (column as number) < columns.length)) {
        return `${at}: splitColumn ${column} is outside the estimator's ${columns.length} columns`;
      }
      if (typeof node.splitValue !== 'number') return `${at}: splitValue must be a number`;
      if (node.left === undefined || node.right === undefined) return `${at}: a split node needs left and right`;
      pending.push(node.right, node.left);
    }
  }
  return null;
}

/**
 * A classifier leaf's class fractions: ml-matrix serialises its row vector as `[[...]]`. A forest handed over live
 * (its `toJSON()` object not written out as JSON text) still holds the ml-matrix Matrix itself: read through its
 * `to2DArray()`.
 */
export function leafFractions(distribution: MlCartNode['distribution'] | { to2DArray(): unknown }): number[] | null {
  if (isMatrixLike(distribution)) distribution = distribution.to2DArray() as number[][];
  if (!Array.isArray(distribution)) return null;
  const row = Array.isArray(distribution[0]) ? (distribution[0] as number[]) : (distribution as number[]);
  return row.every((v) => typeof v === 'number') ? row : null;
}

function isMatrixLike(value: unknown): value is { to2DArray(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { to2DArray?: unknown }).to2DArray === 'function';
}
