/**
 * Compiled inference: a forest flattened into typed arrays and walked with a tight loop.
 *
 * Every tree is laid out depth-first (pre-order), so the left child of a split sits right after it: a split
 * stores only its right child, and the walk is `node = x <= threshold ? node + 1 : rightChild[node]`. Going left
 * costs no load at all, which lets the processor run ahead on the branch it predicts. A leaf has feature -1 and
 * keeps its output in the threshold slot. Votes and per-tree outputs go into buffers owned by the forest, so
 * predicting a row allocates only its small result.
 *
 * No code is generated from the model (the palette evaluates no code, issue #8): the loop only reads numbers.
 */
import { AnyForest, isPathLengthForest, isTreeForest, TreeForest } from './forest-format';
import { isolationScore } from './isolation-forest';
import { ForestShape, mlRandomForestToTrees } from './ml-random-forest';
import type { Task } from './trainer';

/**
 * How a classification vote with tied winners is decided: `lowest-index` (ours) or `first-to-max` (the class
 * whose count reached the maximum first, in tree order — what ml-random-forest's mode does).
 */
export type VoteTieBreak = 'lowest-index' | 'first-to-max';
/** Regression: the mean of the tree outputs (ours), or their lower median (ml-random-forest's `median`). */
export type RegressionAggregate = 'mean' | 'median';

export interface CompileOptions {
  tieBreak?: VoteTieBreak;
  aggregate?: RegressionAggregate;
}

export type ForestPrediction =
  | {
      task: 'classification';
      classIndex: number;
      /** The winning class's vote fraction. */
      confidence: number;
      /** Vote fraction per class; they sum to 1. */
      probabilities: number[];
    }
  | {
      task: 'regression';
      value: number;
      /** Population standard deviation of the trees' outputs. */
      spread: number;
      confidence: 1;
    };

export class CompiledForest {
  readonly task: Task;
  readonly nFeatures: number;
  /** 0 for regression. */
  readonly nClasses: number;
  readonly nTrees: number;
  readonly tieBreak: VoteTieBreak;
  readonly aggregate: RegressionAggregate;
  /** Nodes after compilation (nodes of the source that no root reaches are dropped). */
  readonly nodeCount: number;
  /** Isolation forests: ψ, the rows each tree was grown on; null for other forests. */
  readonly sampleSize: number | null;
  private readonly roots: Int32Array;
  private readonly splitFeature: Int32Array;
  private readonly rightChild: Int32Array;
  private readonly thresholdOrValue: Float64Array;
  private readonly votes: Int32Array;
  private readonly outputs: Float64Array;
  private readonly rowBuffer: Float64Array;

  constructor(forest: TreeForest, options: CompileOptions = {}) {
    this.task = forest.nClasses > 0 ? 'classification' : 'regression';
    this.nFeatures = forest.nFeatures;
    this.nClasses = forest.nClasses;
    this.nTrees = forest.trees.length;
    this.tieBreak = options.tieBreak ?? 'lowest-index';
    this.aggregate = options.aggregate ?? 'mean';
    this.sampleSize = isPathLengthForest(forest) ? (forest.sampleSize ?? null) : null;
    let capacity = 0;
    let largestTree = 0;
    for (const tree of forest.trees) {
      capacity += tree.feature.length;
      largestTree = Math.max(largestTree, tree.feature.length);
    }
    this.roots = new Int32Array(this.nTrees);
    this.splitFeature = new Int32Array(capacity);
    this.rightChild = new Int32Array(capacity);
    this.thresholdOrValue = new Float64Array(capacity);
    // Pending nodes as (original id, slot of the split whose right child it is, or -1 for a root or left child).
    const pending = new Int32Array(2 * (largestTree + 1));
    const reached = new Uint8Array(largestTree);
    let next = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const tree = forest.trees[t];
      reached.fill(0, 0, tree.feature.length);
      this.roots[t] = next;
      let top = 0;
      pending[top++] = 0;
      pending[top++] = -1;
      reached[0] = 1;
      while (top > 0) {
        const parent = pending[--top];
        const original = pending[--top];
        const slot = next++;
        if (parent >= 0) this.rightChild[parent] = slot;
        const left = tree.left[original];
        if (left === -1) {
          this.splitFeature[slot] = -1;
          this.thresholdOrValue[slot] = tree.value[original];
          continue;
        }
        const right = tree.right[original];
        if (reached[left] === 1 || reached[right] === 1) {
          throw new Error(`tree ${t}: node ${original} leads to a node reached twice`);
        }
        reached[left] = reached[right] = 1;
        this.splitFeature[slot] = tree.feature[original];
        this.thresholdOrValue[slot] = tree.threshold[original];
        // The left child is popped first, so it takes slot + 1.
        pending[top++] = right;
        pending[top++] = slot;
        pending[top++] = left;
        pending[top++] = -1;
      }
    }
    this.nodeCount = next;
    this.votes = new Int32Array(Math.max(this.nClasses, 1));
    this.outputs = new Float64Array(this.nTrees);
    this.rowBuffer = new Float64Array(this.nFeatures);
  }

  /** Writes each tree's leaf output (class index or value) for `row` into `out` and returns it. */
  treeOutputs(row: Float64Array, out: Float64Array = this.outputs): Float64Array {
    this.checkRow(row);
    const feature = this.splitFeature;
    const right = this.rightChild;
    const threshold = this.thresholdOrValue;
    const roots = this.roots;
    for (let t = 0; t < this.nTrees; t++) out[t] = threshold[leafOf(row, roots[t], feature, right, threshold)];
    return out;
  }

  /** Counts the trees' votes for `row` into `votes` (length nClasses) and returns the winning class. */
  countVotes(row: Float64Array, votes: Int32Array = this.votes): number {
    if (this.task !== 'classification') throw new Error('countVotes needs a classification forest');
    const outputs = this.treeOutputs(row);
    votes.fill(0, 0, this.nClasses);
    const firstToMax = this.tieBreak === 'first-to-max';
    let winner = 0;
    let winnerVotes = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const vote = outputs[t];
      const count = ++votes[vote];
      if (firstToMax && count > winnerVotes) {
        winnerVotes = count;
        winner = vote;
      }
    }
    if (!firstToMax) {
      for (let c = 1; c < this.nClasses; c++) if (votes[c] > votes[winner]) winner = c;
    }
    return winner;
  }

  /** Predicts one row of nFeatures values (in the model's feature order). */
  predictRow(row: Float64Array): ForestPrediction {
    if (this.task === 'classification') {
      const winner = this.countVotes(row);
      const probabilities: number[] = new Array<number>(this.nClasses);
      for (let c = 0; c < this.nClasses; c++) probabilities[c] = this.votes[c] / this.nTrees;
      return { task: 'classification', classIndex: winner, confidence: probabilities[winner], probabilities };
    }
    const outputs = this.treeOutputs(row);
    const n = this.nTrees;
    // Summed in tree order and divided once, exactly as ml-random-forest's mean does.
    let sum = 0;
    for (let t = 0; t < n; t++) sum += outputs[t];
    const mean = sum / n;
    let squares = 0;
    for (let t = 0; t < n; t++) squares += (outputs[t] - mean) * (outputs[t] - mean);
    const spread = Math.sqrt(squares / n);
    const value = this.aggregate === 'mean' ? mean : lowerMedian(outputs);
    return { task: 'regression', value, spread, confidence: 1 };
  }

  /** Isolation forests: the mean over the trees of the path length of the leaf `row` reaches. */
  meanPathLength(row: Float64Array): number {
    const outputs = this.treeOutputs(row);
    let sum = 0;
    for (let t = 0; t < this.nTrees; t++) sum += outputs[t];
    return sum / this.nTrees;
  }

  /** Isolation forests: the anomaly score 2^(−E[h(x)] / c(ψ)) in (0, 1]; higher is stranger. */
  anomalyScore(row: Float64Array): number {
    if (this.sampleSize === null) throw new Error('anomalyScore needs an isolation forest (output "path-length")');
    return isolationScore(this.meanPathLength(row), this.sampleSize);
  }

  /**
   * Isolation forests: the anomaly scores of several rows into `into`, exactly as anomalyScore row by row. The
   * walk goes tree by tree over all the rows, so one tree's nodes stay in the fastest cache while it is used (the
   * default 100 trees of 256 rows make some 12,000 nodes, about 200 KB); each row's path lengths are still summed
   * in tree order.
   */
  anomalyScores(rows: readonly Float64Array[], into: Float64Array = new Float64Array(rows.length)): Float64Array {
    if (this.sampleSize === null) throw new Error('anomalyScores needs an isolation forest (output "path-length")');
    if (into.length < rows.length) throw new RangeError(`room for ${into.length} scores, ${rows.length} rows`);
    for (const row of rows) this.checkRow(row);
    const feature = this.splitFeature;
    const right = this.rightChild;
    const threshold = this.thresholdOrValue;
    const nRows = rows.length;
    into.fill(0, 0, nRows);
    for (let t = 0; t < this.nTrees; t++) {
      const root = this.roots[t];
      for (let r = 0; r < nRows; r++) into[r] += threshold[leafOf(rows[r], root, feature, right, threshold)];
    }
    for (let r = 0; r < nRows; r++) into[r] = isolationScore(into[r] / this.nTrees, this.sampleSize);
    return into;
  }

  /** Predicts several rows; each may be any array-like of nFeatures numbers. */
  predictBatch(rows: ReadonlyArray<ArrayLike<number>>): ForestPrediction[] {
    const predictions: ForestPrediction[] = [];
    const buffer = this.rowBuffer;
    for (const row of rows) {
      if (row.length < this.nFeatures) throw new RangeError(`a row has ${row.length} values, the forest needs ${this.nFeatures}`);
      for (let f = 0; f < this.nFeatures; f++) buffer[f] = row[f];
      predictions.push(this.predictRow(buffer));
    }
    return predictions;
  }

  private checkRow(row: Float64Array): void {
    if (row.length < this.nFeatures) throw new RangeError(`a row has ${row.length} values, the forest needs ${this.nFeatures}`);
  }
}

/** The slot of the leaf `row` reaches from `node` (a tree's root). NaN fails every test, so it goes right. */
function leafOf(row: Float64Array, node: number, feature: Int32Array, right: Int32Array, threshold: Float64Array): number {
  let f = feature[node];
  while (f >= 0) {
    node = row[f] <= threshold[node] ? node + 1 : right[node];
    f = feature[node];
  }
  return node;
}

/** The element at index floor((n-1)/2) of the sorted outputs (sorts `values` in place). */
function lowerMedian(values: Float64Array): number {
  values.sort();
  return values[(values.length - 1) >> 1];
}

/**
 * Compiles either forest form. An ml-random-forest forest keeps ml-random-forest's own semantics (its vote
 * tie-break and selection method), so predictions are identical to its `predict()`; its JSON does not record
 * how many features and classes the model has, so pass them in `shape` (the model file's featureNames and
 * labels).
 */
export function compileForest(forest: AnyForest, shape: ForestShape = {}): CompiledForest {
  if (isTreeForest(forest)) return new CompiledForest(forest);
  const imported = mlRandomForestToTrees(forest, shape);
  return new CompiledForest(imported.forest, { tieBreak: imported.tieBreak, aggregate: imported.aggregate });
}
