/**
 * Random-forest trainer: bootstrap samples, per-node feature subsampling and histogram split search on binned
 * features (see binning.ts), writing trees in the `iot-ai/trees@1` form (forest-format.ts).
 *
 * How it stays fast on plain JavaScript:
 * - features are binned once into a column-major Uint8Array; a node's split search builds a per-bin histogram
 *   of class counts (or weight and sum of y) in one pass over its rows;
 * - a bootstrap sample is a weight per row (how often it was drawn), so only the ~63% distinct rows are
 *   visited and the out-of-bag rows fall out for free;
 * - histogram subtraction: when a node splits, a child reuses the parent's histogram of a feature it will
 *   examine as (parent − sibling), building only the smaller child's histogram from rows;
 * - small nodes skip histograms (a 255-bin scan would dwarf their few rows) and sort their rows by bin instead;
 * - node rows are an index range partitioned in place; histograms come from a pool; nothing is allocated per
 *   row.
 */
import { binColumns, BinnedMatrix, MAX_BINS } from './binning';
import { doubled, TREES_KIND, Tree, TreeByTreeTrainer, TreeForest } from './forest-format';
import { Random } from '../../util/rng';

export type Task = 'classification' | 'regression';
export type Criterion = 'gini' | 'entropy' | 'variance';
/**
 * Features examined per node: `sqrt` (classification default, as scikit-learn), `all` (regression default, as
 * scikit-learn: it beat nFeatures/3 on every regression set we tried), `third` (R's randomForest regression
 * default), `log2`; a number >= 1 is a count, a number in (0, 1) a fraction.
 */
export type MaxFeatures = 'sqrt' | 'log2' | 'third' | 'all' | number;

export interface ForestOptions {
  task: Task;
  /** Classification: the number of classes (targets are 0 .. nClasses-1). Default: largest target + 1. */
  nClasses?: number;
  /** Default 100. */
  nTrees?: number;
  /** Default: unlimited. The root has depth 0. */
  maxDepth?: number;
  /**
   * Least number of (bootstrap) samples in a leaf. Default 1 for classification, 5 for regression (R's
   * randomForest defaults): fully grown regression trees fit no better and make model files 4× larger.
   */
  minSamplesLeaf?: number;
  /** Least number of (bootstrap) samples a node needs to be split. Default 2. */
  minSamplesSplit?: number;
  /**
   * Least impurity decrease per row of the node that a split must bring, or the node stays a leaf: the Gini gain
   * (or entropy gain, in nats) for classification, the drop in variance for regression. Default 0 (no limit).
   * ml-cart, which grows ml-random-forest's trees, stops below a Gini gain of 0.01.
   */
  minGain?: number;
  maxFeatures?: MaxFeatures;
  /** `gini` (default) or `entropy` for classification; `variance` for regression. */
  criterion?: Criterion;
  /** Draw each tree's rows with replacement (default true); false trains every tree on all rows. */
  bootstrap?: boolean;
  /**
   * Value bins per feature, 2..65,535 (a feature with missing values gets one more). Default 255: one byte per
   * row and feature; above 256 in all, two.
   */
  maxBins?: number;
  /** Default 1. The same seed and data always give the same forest. */
  seed?: number;
}

/** The options actually used, as stored in a model file's `params`. */
export interface ResolvedForestOptions {
  task: Task;
  nClasses: number;
  nTrees: number;
  maxDepth: number | null;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  minGain: number;
  maxFeatures: number;
  criterion: Criterion;
  bootstrap: boolean;
  maxBins: number;
  seed: number;
}

export interface TrainingData {
  /**
   * One entry per example, each with the same number of feature values: finite numbers, or NaN for a missing
   * value (each split learns which side missing values take; see docs/model-format.md).
   */
  rows: ReadonlyArray<ArrayLike<number>>;
  /** Classification: class indices 0 .. nClasses-1. Regression: finite numbers. */
  target: ArrayLike<number>;
}

/** Out-of-bag estimate: each row is predicted by the trees that did not see it. */
export interface OobEstimate {
  /** Rows that were out of bag for at least one tree (the estimate's sample). */
  rows: number;
  /** Classification. */
  accuracy?: number;
  /** Regression. */
  r2?: number;
  mae?: number;
  rmse?: number;
}

export interface TrainedForest {
  forest: TreeForest;
  /** Mean decrease in impurity per feature, normalised to sum to 1 (all zeros if no tree ever split). */
  importances: number[];
  /** Null without bootstrap or when no row was ever out of bag. */
  oob: OobEstimate | null;
  params: ResolvedForestOptions;
}

export type ProgressCallback = (treesDone: number, treesTotal: number) => void;

/** Nodes with fewer rows than this sort their rows by bin instead of building 255-bin histograms. */
const SORT_PATH_MAX_ROWS = 64;

export function resolveForestOptions(options: ForestOptions, nFeatures: number, maxTarget: number): ResolvedForestOptions {
  const task = options.task;
  if (task !== 'classification' && task !== 'regression') throw new RangeError(`unknown task ${String(task)}`);
  const isClassification = task === 'classification';
  const nClasses = isClassification ? (options.nClasses ?? maxTarget + 1) : 0;
  const criterion = options.criterion ?? (isClassification ? 'gini' : 'variance');
  if (isClassification ? criterion === 'variance' : criterion !== 'variance') {
    throw new RangeError(`criterion ${criterion} does not fit a ${task} forest`);
  }
  const maxDepth = options.maxDepth === undefined || options.maxDepth === Infinity ? null : options.maxDepth;
  const resolved: ResolvedForestOptions = {
    task,
    nClasses,
    nTrees: options.nTrees ?? 100,
    maxDepth,
    minSamplesLeaf: options.minSamplesLeaf ?? (isClassification ? 1 : 5),
    minSamplesSplit: options.minSamplesSplit ?? 2,
    minGain: options.minGain ?? 0,
    maxFeatures: resolveMaxFeatures(options.maxFeatures ?? (isClassification ? 'sqrt' : 'all'), nFeatures),
    criterion,
    bootstrap: options.bootstrap ?? true,
    maxBins: options.maxBins ?? 255,
    seed: options.seed ?? 1,
  };
  const positiveInteger = (name: string, value: number): void => {
    if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  };
  positiveInteger('nTrees', resolved.nTrees);
  positiveInteger('minSamplesLeaf', resolved.minSamplesLeaf);
  positiveInteger('minSamplesSplit', resolved.minSamplesSplit);
  if (!(Number.isFinite(resolved.minGain) && resolved.minGain >= 0)) throw new RangeError(`minGain must be a number >= 0, got ${resolved.minGain}`);
  if (maxDepth !== null && !(Number.isInteger(maxDepth) && maxDepth >= 0)) {
    throw new RangeError(`maxDepth must be an integer >= 0, got ${maxDepth}`);
  }
  if (!(Number.isInteger(resolved.maxBins) && resolved.maxBins >= 2 && resolved.maxBins <= MAX_BINS - 1)) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_BINS - 1}], got ${resolved.maxBins}`);
  }
  if (!Number.isFinite(resolved.seed)) throw new RangeError(`seed must be a number, got ${resolved.seed}`);
  if (isClassification && !(Number.isInteger(nClasses) && nClasses >= 1)) {
    throw new RangeError(`nClasses must be a positive integer, got ${nClasses}`);
  }
  return resolved;
}

function resolveMaxFeatures(maxFeatures: MaxFeatures, nFeatures: number): number {
  let count: number;
  if (maxFeatures === 'sqrt') count = Math.floor(Math.sqrt(nFeatures));
  else if (maxFeatures === 'log2') count = Math.floor(Math.log2(nFeatures));
  else if (maxFeatures === 'third') count = Math.floor(nFeatures / 3);
  else if (maxFeatures === 'all') count = nFeatures;
  else if (typeof maxFeatures === 'number' && maxFeatures > 0 && maxFeatures < 1) count = Math.floor(maxFeatures * nFeatures);
  else if (typeof maxFeatures === 'number' && Number.isInteger(maxFeatures) && maxFeatures >= 1) count = maxFeatures;
  else throw new RangeError(`maxFeatures must be sqrt, log2, third, all, a count or a fraction, got ${maxFeatures}`);
  return Math.min(nFeatures, Math.max(1, count));
}

/** A node waiting to be split. Objects are pooled per stack slot; their buffers are reused across trees. */
class PendingNode {
  start = 0;
  end = 0;
  depth = 0;
  id = 0;
  /** Classification: [weight, count of class 0, ...]; regression: [weight, sum of centred y]. */
  readonly stats: Float64Array;
  /** The features drawn for this node, in the order drawn. */
  readonly candidates: Int32Array;
  candidateCount = 0;
  /** Histograms already available for this node (inherited through subtraction), by feature. */
  readonly hist: Array<Float64Array | null>;

  constructor(stride: number, nFeatures: number) {
    this.stats = new Float64Array(stride);
    this.candidates = new Int32Array(nFeatures);
    this.hist = new Array<Float64Array | null>(nFeatures).fill(null);
  }

  get rowCount(): number {
    return this.end - this.start;
  }
}

/** The best split found so far at a node. */
interface SplitChoice {
  feature: number;
  /** Last non-empty bin that goes left, and the first non-empty bin that goes right. */
  leftBin: number;
  rightBin: number;
  score: number;
  /** Left child's stats (same layout as PendingNode.stats), missing rows included when they go left. */
  leftStats: Float64Array;
  /** Where missing values go: the side with the better gain, or the side with more rows when the node had none. */
  missingLeft: boolean;
}

/**
 * Trains a forest one tree at a time, so callers can report progress or yield to an event loop between trees.
 * Binning happens once, in the constructor.
 */
export class ForestTrainer extends TreeByTreeTrainer {
  readonly params: ResolvedForestOptions;
  private readonly nRows: number;
  private readonly nFeatures: number;
  private readonly binned: BinnedMatrix;
  /** Histogram entries per feature: its value bins, plus one for missing values when it has any. */
  private readonly nBins: Int32Array;
  /** Per feature, the bin of a missing value, or -1 (binning.ts). */
  private readonly missingBin: Int32Array;
  private readonly isClassification: boolean;
  /** Values per histogram bin: [weight, class counts...] or [weight, sum]. */
  private readonly stride: number;
  private readonly classOf: Int32Array;
  /** Regression targets minus their mean: sums of squares stay well conditioned. */
  private readonly centredTarget: Float64Array;
  private readonly targetMean: number;
  /** The caller's targets, to score out-of-bag predictions. */
  private readonly targetForOob: ArrayLike<number>;

  // Per-tree working memory, allocated once.
  private readonly weight: Float64Array;
  private readonly rowIndex: Int32Array;
  private readonly sortKeys: Int32Array;
  /** The most histogram entries of any feature (its value bins and missing bin): a histogram's length / stride. */
  private readonly widestFeature: number;
  private readonly compactHist: Float64Array;
  private readonly compactBins: Int32Array;
  private readonly scanLeft: Float64Array;
  private readonly rightStats: Float64Array;
  /** Scans with missing values: the missing rows' stats and the two sides of a candidate. */
  private readonly missingStats: Float64Array;
  private readonly candidateLeft: Float64Array;
  private readonly candidateRight: Float64Array;
  private readonly best: SplitChoice;
  private readonly treeImportance: Float64Array;
  private readonly featureOrder: Int32Array;
  private readonly histPool: Float64Array[] = [];
  private readonly stack: PendingNode[] = [];
  private spareNode: PendingNode;
  private rng: Random = new Random(0);
  private rootImpurity = 0;

  // The tree being grown (typed arrays, doubled when full).
  private nodeCount = 0;
  private feature = new Int32Array(1024);
  private threshold = new Float64Array(1024);
  private left = new Int32Array(1024);
  private right = new Int32Array(1024);
  private value = new Float64Array(1024);
  /** Threshold as a bin number, for out-of-bag predictions on binned rows. */
  private splitBin = new Int32Array(1024);
  /** 1 where a split sends missing values left. */
  private missingLeft = new Int32Array(1024);
  /** The (bootstrap-weighted) training rows that reached each node: explanations need them. */
  private cover = new Float64Array(1024);

  // Forest-level results.
  private readonly importanceSum: Float64Array;
  private readonly oobVotes: Int32Array | null;
  private readonly oobSum: Float64Array | null;
  private readonly oobCount: Int32Array | null;

  constructor(data: TrainingData, options: ForestOptions) {
    super();
    const nRows = data.rows.length;
    if (nRows === 0) throw new RangeError('no training rows');
    if (data.target.length !== nRows) {
      throw new RangeError(`${nRows} rows but ${data.target.length} targets`);
    }
    const nFeatures = data.rows[0].length;
    if (nFeatures === 0) throw new RangeError('rows have no features');
    let maxTarget = 0;
    for (let r = 0; r < nRows; r++) {
      const y = data.target[r];
      if (options.task === 'classification' && !(Number.isInteger(y) && y >= 0)) {
        throw new RangeError(`target ${r}: ${y} is not a class index (an integer >= 0)`);
      }
      maxTarget = Math.max(maxTarget, y);
    }
    this.params = resolveForestOptions(options, nFeatures, maxTarget);
    this.nRows = nRows;
    this.nFeatures = nFeatures;
    this.isClassification = this.params.task === 'classification';
    const nClasses = this.params.nClasses;
    this.stride = this.isClassification ? nClasses + 1 : 2;

    const columns: Float64Array[] = [];
    for (let f = 0; f < nFeatures; f++) columns.push(new Float64Array(nRows));
    for (let r = 0; r < nRows; r++) {
      const row = data.rows[r];
      if (row.length !== nFeatures) throw new RangeError(`row ${r} has ${row.length} features, expected ${nFeatures}`);
      for (let f = 0; f < nFeatures; f++) {
        const x = row[f];
        if (typeof x !== 'number' || !(Number.isFinite(x) || Number.isNaN(x))) {
          throw new RangeError(`row ${r}, feature ${f}: ${String(x)} is not a finite number or NaN (missing)`);
        }
        columns[f][r] = x;
      }
    }
    this.binned = binColumns(columns, this.params.maxBins);
    this.missingBin = this.binned.missingBin;
    this.nBins = Int32Array.from(this.binned.edges, (edges, f) => edges.length + (this.missingBin[f] >= 0 ? 1 : 0));
    this.widestFeature = this.nBins.reduce((most, bins) => Math.max(most, bins), 1);

    this.classOf = new Int32Array(this.isClassification ? nRows : 0);
    this.centredTarget = new Float64Array(this.isClassification ? 0 : nRows);
    let targetSum = 0;
    for (let r = 0; r < nRows; r++) {
      const y = data.target[r];
      if (this.isClassification) {
        if (!(Number.isInteger(y) && y >= 0 && y < nClasses)) {
          throw new RangeError(`target ${r}: ${y} is not a class index in [0, ${nClasses})`);
        }
        this.classOf[r] = y;
      } else {
        if (!Number.isFinite(y)) throw new RangeError(`target ${r}: ${y} is not a finite number`);
        targetSum += y;
      }
    }
    this.targetMean = this.isClassification ? 0 : targetSum / nRows;
    for (let r = 0; r < this.centredTarget.length; r++) this.centredTarget[r] = data.target[r] - this.targetMean;

    this.weight = new Float64Array(nRows);
    this.rowIndex = new Int32Array(nRows);
    this.sortKeys = new Int32Array(SORT_PATH_MAX_ROWS);
    this.compactHist = new Float64Array(SORT_PATH_MAX_ROWS * this.stride);
    this.compactBins = new Int32Array(SORT_PATH_MAX_ROWS);
    this.scanLeft = new Float64Array(this.stride);
    this.rightStats = new Float64Array(this.stride);
    this.missingStats = new Float64Array(this.stride);
    this.candidateLeft = new Float64Array(this.stride);
    this.candidateRight = new Float64Array(this.stride);
    this.best = { feature: -1, leftBin: 0, rightBin: 0, score: -Infinity, leftStats: new Float64Array(this.stride), missingLeft: false };
    this.treeImportance = new Float64Array(nFeatures);
    this.importanceSum = new Float64Array(nFeatures);
    this.featureOrder = Int32Array.from({ length: nFeatures }, (_, f) => f);
    this.spareNode = new PendingNode(this.stride, nFeatures);
    const withOob = this.params.bootstrap;
    this.oobVotes = withOob && this.isClassification ? new Int32Array(nRows * nClasses) : null;
    this.oobSum = withOob && !this.isClassification ? new Float64Array(nRows) : null;
    this.oobCount = withOob && !this.isClassification ? new Int32Array(nRows) : null;
    this.targetForOob = Float64Array.from(data.target);
  }

  /** Grows the next tree. */
  step(): void {
    if (this.done) return;
    const t = this.trees.length;
    this.rng = new Random(this.params.seed, t);
    this.growTree(this.drawSample());
    const size = this.nodeCount;
    const tree: Tree = {
      feature: plainArray(this.feature, size),
      threshold: plainArray(this.threshold, size),
      left: plainArray(this.left, size),
      right: plainArray(this.right, size),
      value: plainArray(this.value, size),
      missingLeft: plainArray(this.missingLeft, size),
      cover: plainArray(this.cover, size),
    };
    this.trees.push(tree);
    this.addOutOfBag();
    let total = 0;
    for (let f = 0; f < this.nFeatures; f++) total += this.treeImportance[f];
    if (total > 0) for (let f = 0; f < this.nFeatures; f++) this.importanceSum[f] += this.treeImportance[f] / total;
  }

  result(): TrainedForest {
    if (!this.done) throw new Error(`only ${this.trees.length} of ${this.params.nTrees} trees are trained`);
    let total = 0;
    for (let f = 0; f < this.nFeatures; f++) total += this.importanceSum[f];
    const importances = Array.from(this.importanceSum, (v) => (total > 0 ? v / total : 0));
    return {
      forest: { kind: TREES_KIND, nFeatures: this.nFeatures, nClasses: this.params.nClasses, trees: this.trees.slice() },
      importances,
      oob: this.outOfBagEstimate(),
      params: { ...this.params },
    };
  }

  /** Bootstrap: weight = times drawn; rowIndex lists the drawn rows (the root's rows). */
  private drawSample(): number {
    const n = this.nRows;
    const weight = this.weight;
    if (this.params.bootstrap) {
      weight.fill(0);
      for (let i = 0; i < n; i++) weight[this.rng.int(n)]++;
    } else {
      weight.fill(1);
    }
    let count = 0;
    for (let r = 0; r < n; r++) if (weight[r] > 0) this.rowIndex[count++] = r;
    return count;
  }

  private growTree(rowCount: number): void {
    this.nodeCount = 0;
    this.treeImportance.fill(0);

    const root = this.stackSlot(0);
    root.start = 0;
    root.end = rowCount;
    root.depth = 0;
    root.id = this.addNode();
    this.rowStats(root);
    this.drawCandidates(root);
    let size = 1;
    while (size > 0) {
      // Swap the popped node out of the stack so its children can take its slot.
      const node = this.stack[--size];
      this.stack[size] = this.spareNode;
      this.spareNode = node;
      size = this.splitOrLeaf(node, size);
    }
  }

  private stackSlot(index: number): PendingNode {
    while (this.stack.length <= index) this.stack.push(new PendingNode(this.stride, this.nFeatures));
    return this.stack[index];
  }

  private addNode(): number {
    const id = this.nodeCount++;
    if (id === this.feature.length) {
      this.feature = doubled(this.feature);
      this.threshold = doubled(this.threshold);
      this.left = doubled(this.left);
      this.right = doubled(this.right);
      this.value = doubled(this.value);
      this.splitBin = doubled(this.splitBin);
      this.missingLeft = doubled(this.missingLeft);
      this.cover = doubled(this.cover);
    }
    this.feature[id] = -1;
    this.threshold[id] = 0;
    this.left[id] = -1;
    this.right[id] = -1;
    this.value[id] = 0;
    this.splitBin[id] = 0;
    this.missingLeft[id] = 0;
    this.cover[id] = 0;
    return id;
  }

  /** Fills node.stats from its rows. */
  private rowStats(node: PendingNode): void {
    const stats = node.stats;
    stats.fill(0);
    for (let i = node.start; i < node.end; i++) {
      const r = this.rowIndex[i];
      const w = this.weight[r];
      stats[0] += w;
      if (this.isClassification) stats[1 + this.classOf[r]] += w;
      else stats[1] += w * this.centredTarget[r];
    }
  }

  /** Draws maxFeatures distinct features (a partial Fisher–Yates shuffle). */
  private drawCandidates(node: PendingNode): void {
    const order = this.featureOrder;
    const count = this.params.maxFeatures;
    for (let i = 0; i < count; i++) {
      const j = i + this.rng.int(this.nFeatures - i);
      const f = order[j];
      order[j] = order[i];
      order[i] = f;
      node.candidates[i] = f;
    }
    node.candidateCount = count;
  }

  /** Decides the node; returns the new stack size. */
  private splitOrLeaf(node: PendingNode, stackSize: number): number {
    const params = this.params;
    const weight = node.stats[0];
    this.cover[node.id] = weight;
    const impurity = this.weightedImpurity(node);
    if (node.depth === 0) this.rootImpurity = impurity;
    // An impure class node has weight × impurity >= about 1; for regression only rounding noise counts as pure.
    const pureBelow = this.isClassification ? 1e-9 : 1e-24 * this.rootImpurity;
    const canSplit =
      (params.maxDepth === null || node.depth < params.maxDepth) &&
      weight >= params.minSamplesSplit &&
      weight >= 2 * params.minSamplesLeaf &&
      impurity > pureBelow;
    if (!canSplit || !this.findBestSplit(node, impurity) || !this.gainsEnough(node)) {
      this.makeLeaf(node);
      this.releaseHistograms(node);
      return stackSize;
    }
    const best = this.best;
    const f = best.feature;
    const thresholdBin = (best.leftBin + best.rightBin - 1) >> 1;
    const id = node.id;
    this.feature[id] = f;
    this.threshold[id] = this.binned.edges[f][thresholdBin];
    this.splitBin[id] = thresholdBin;
    this.missingLeft[id] = best.missingLeft ? 1 : 0;
    this.treeImportance[f] += best.score - this.score(node.stats);

    const mid = this.partition(node, f, thresholdBin, best.missingLeft);
    const leftChild = this.stackSlot(stackSize);
    const rightChild = this.stackSlot(stackSize + 1);
    leftChild.start = node.start;
    leftChild.end = mid;
    rightChild.start = mid;
    rightChild.end = node.end;
    leftChild.depth = rightChild.depth = node.depth + 1;
    leftChild.id = this.addNode();
    rightChild.id = this.addNode();
    this.left[id] = leftChild.id;
    this.right[id] = rightChild.id;
    leftChild.stats.set(best.leftStats);
    for (let k = 0; k < this.stride; k++) rightChild.stats[k] = node.stats[k] - best.leftStats[k];
    this.drawCandidates(leftChild);
    this.drawCandidates(rightChild);
    this.inheritHistograms(node, leftChild, rightChild);
    this.releaseHistograms(node);
    // The smaller child goes on top, so it is split next and the stack stays shallow.
    if (leftChild.rowCount > rightChild.rowCount) {
      this.stack[stackSize] = rightChild;
      this.stack[stackSize + 1] = leftChild;
    }
    return stackSize + 2;
  }

  /** Whether the best split found brings more than minGain of impurity decrease per row of the node. */
  private gainsEnough(node: PendingNode): boolean {
    const minGain = this.params.minGain;
    return minGain === 0 || (this.best.score - this.score(node.stats)) / node.stats[0] > minGain;
  }

  /** Weight × impurity of the node: gini, entropy, or sum of squared deviations. */
  private weightedImpurity(node: PendingNode): number {
    const stats = node.stats;
    if (this.isClassification) return -this.negativeImpurity(stats);
    const mean = stats[1] / stats[0];
    let sumSquares = 0;
    for (let i = node.start; i < node.end; i++) {
      const r = this.rowIndex[i];
      const d = this.centredTarget[r] - mean;
      sumSquares += this.weight[r] * d * d;
    }
    return sumSquares;
  }

  /** −(weight × impurity) for classification stats. */
  private negativeImpurity(stats: Float64Array): number {
    const w = stats[0];
    if (w <= 0) return 0;
    let total = 0;
    if (this.params.criterion === 'gini') {
      for (let c = 1; c < this.stride; c++) total += stats[c] * stats[c];
      return total / w - w;
    }
    for (let c = 1; c < this.stride; c++) if (stats[c] > 0) total += stats[c] * Math.log(stats[c]);
    return total - w * Math.log(w);
  }

  /**
   * The split score of one side: maximising score(left) + score(right) minimises the children's weighted
   * impurity, and their sum minus score(parent) is the impurity decrease (it drops terms that cancel).
   */
  private score(stats: Float64Array): number {
    const w = stats[0];
    if (w <= 0) return 0;
    if (this.params.criterion === 'gini') {
      let sumSquares = 0;
      for (let c = 1; c < this.stride; c++) sumSquares += stats[c] * stats[c];
      return sumSquares / w;
    }
    if (this.params.criterion === 'entropy') return this.negativeImpurity(stats);
    return (stats[1] * stats[1]) / w;
  }

  private makeLeaf(node: PendingNode): void {
    const stats = node.stats;
    if (this.isClassification) {
      let bestClass = 0;
      for (let c = 1; c < this.stride - 1; c++) if (stats[1 + c] > stats[1 + bestClass]) bestClass = c;
      this.value[node.id] = bestClass;
    } else {
      this.value[node.id] = stats[1] / stats[0] + this.targetMean;
    }
  }

  /**
   * Examines the node's candidate features, and more if fewer than maxFeatures of them vary inside the node
   * (as scikit-learn does, constant features don't count). Leaves the winner in `this.best`.
   */
  private findBestSplit(node: PendingNode, impurity: number): boolean {
    const best = this.best;
    best.feature = -1;
    const parentScore = this.score(node.stats);
    best.score = parentScore + 1e-10 * Math.max(impurity, 1e-300);
    let varying = 0;
    const wanted = this.params.maxFeatures;
    for (let i = 0; i < node.candidateCount; i++) {
      if (this.examineFeature(node, node.candidates[i])) varying++;
    }
    if (varying < wanted && node.candidateCount < this.nFeatures) {
      const tried = node.candidates.subarray(0, node.candidateCount);
      const untried: number[] = [];
      for (let f = 0; f < this.nFeatures; f++) if (!tried.includes(f)) untried.push(f);
      this.rng.shuffle(untried);
      for (let i = 0; i < untried.length && varying < wanted; i++) {
        if (this.examineFeature(node, untried[i])) varying++;
      }
    }
    return best.feature >= 0;
  }

  /** Scans one feature for the node's best split; returns false when the feature is constant in the node. */
  private examineFeature(node: PendingNode, f: number): boolean {
    let hist = node.hist[f];
    if (hist === null && node.rowCount >= SORT_PATH_MAX_ROWS) {
      hist = this.acquireHistogram();
      this.buildHistogram(hist, f, node.start, node.end);
      node.hist[f] = hist;
    }
    if (hist !== null) return this.scan(node, f, hist, null, this.nBins[f]);
    const groups = this.sortedGroups(f, node.start, node.end);
    return this.scan(node, f, this.compactHist, this.compactBins, groups);
  }

  private acquireHistogram(): Float64Array {
    return this.histPool.pop() ?? new Float64Array(this.widestFeature * this.stride);
  }

  private releaseHistograms(node: PendingNode): void {
    for (let f = 0; f < this.nFeatures; f++) {
      const hist = node.hist[f];
      if (hist !== null) {
        this.histPool.push(hist);
        node.hist[f] = null;
      }
    }
  }

  private buildHistogram(hist: Float64Array, f: number, start: number, end: number): void {
    const stride = this.stride;
    hist.fill(0, 0, this.nBins[f] * stride);
    const bins = this.binned.bins;
    const offset = f * this.nRows;
    const rowIndex = this.rowIndex;
    const weight = this.weight;
    if (this.isClassification) {
      const classOf = this.classOf;
      for (let i = start; i < end; i++) {
        const r = rowIndex[i];
        const at = bins[offset + r] * stride;
        const w = weight[r];
        hist[at] += w;
        hist[at + 1 + classOf[r]] += w;
      }
    } else {
      const y = this.centredTarget;
      for (let i = start; i < end; i++) {
        const r = rowIndex[i];
        const at = bins[offset + r] * 2;
        const w = weight[r];
        hist[at] += w;
        hist[at + 1] += w * y[r];
      }
    }
  }

  /** Small-node path: rows sorted by bin, grouped into a compact histogram of the non-empty bins. */
  private sortedGroups(f: number, start: number, end: number): number {
    const count = end - start;
    const keys = this.sortKeys;
    const bins = this.binned.bins;
    const offset = f * this.nRows;
    // Insertion sort: the keys are few, and a native sort of a fresh subarray costs more than it saves.
    for (let i = 0; i < count; i++) {
      // The bin (up to 65,535) above the row's place in the node (below SORT_PATH_MAX_ROWS = 64: 6 bits).
      const key = (bins[offset + this.rowIndex[start + i]] << 6) | i;
      let j = i - 1;
      while (j >= 0 && keys[j] > key) {
        keys[j + 1] = keys[j];
        j--;
      }
      keys[j + 1] = key;
    }
    const stride = this.stride;
    const hist = this.compactHist;
    let groups = 0;
    let lastBin = -1;
    let at = -stride;
    for (let i = 0; i < count; i++) {
      const key = keys[i];
      const bin = key >>> 6;
      if (bin !== lastBin) {
        lastBin = bin;
        this.compactBins[groups++] = bin;
        at += stride;
        for (let k = 0; k < stride; k++) hist[at + k] = 0;
      }
      const r = this.rowIndex[start + (key & 63)];
      const w = this.weight[r];
      hist[at] += w;
      if (this.isClassification) hist[at + 1 + this.classOf[r]] += w;
      else hist[at + 1] += w * this.centredTarget[r];
    }
    return groups;
  }

  /**
   * Walks the bins in order, moving each into the left side, and scores every boundary between two non-empty
   * bins. `binIds` is null for a full histogram (entry e is bin e) or lists the bins of a compact one.
   */
  private scan(node: PendingNode, f: number, hist: Float64Array, binIds: Int32Array | null, entries: number): boolean {
    const missingBin = this.missingBin[f];
    // The missing bin is the highest, so it is the last entry of either histogram form.
    if (missingBin >= 0 && entries > 0 && (binIds === null ? entries - 1 : binIds[entries - 1]) === missingBin) {
      const at = (entries - 1) * this.stride;
      if (hist[at] > 0) return this.scanWithMissing(node, f, hist, binIds, entries - 1, at);
      entries--;
    }
    const stride = this.stride;
    const total = node.stats;
    const totalWeight = total[0];
    const minLeaf = this.params.minSamplesLeaf;
    const left = this.scanLeft;
    const right = this.rightStats;
    for (let k = 0; k < stride; k++) left[k] = 0;
    const best = this.best;
    const isGini = this.params.criterion === 'gini';
    const isVariance = this.params.criterion === 'variance';
    // Gini keeps running sums of squared class counts (exact: counts are integers).
    let leftSquares = 0;
    let rightSquares = 0;
    if (isGini) for (let c = 1; c < stride; c++) rightSquares += total[c] * total[c];
    let previousBin = -1;
    let nonEmpty = 0;
    for (let e = 0; e < entries; e++) {
      const at = e * stride;
      const binWeight = hist[at];
      if (binWeight === 0) continue;
      const bin = binIds === null ? e : binIds[e];
      nonEmpty++;
      if (previousBin >= 0) {
        const leftWeight = left[0];
        const rightWeight = totalWeight - leftWeight;
        if (rightWeight < minLeaf) break;
        if (leftWeight >= minLeaf) {
          let score: number;
          if (isGini) {
            score = leftSquares / leftWeight + rightSquares / rightWeight;
          } else if (isVariance) {
            const rightSum = total[1] - left[1];
            score = (left[1] * left[1]) / leftWeight + (rightSum * rightSum) / rightWeight;
          } else {
            for (let k = 0; k < stride; k++) right[k] = total[k] - left[k];
            score = this.negativeImpurity(left) + this.negativeImpurity(right);
          }
          if (score > best.score) {
            best.score = score;
            best.feature = f;
            best.leftBin = previousBin;
            best.rightBin = bin;
            best.leftStats.set(left);
            // No missing rows here: a later missing value takes the side that had more rows.
            best.missingLeft = leftWeight >= rightWeight;
          }
        }
      }
      if (isGini) {
        for (let c = 1; c < stride; c++) {
          const h = hist[at + c];
          if (h === 0) continue;
          const l = left[c];
          const r = total[c] - l;
          leftSquares += h * (2 * l + h);
          rightSquares -= h * (2 * r - h);
          left[c] = l + h;
        }
        left[0] += binWeight;
      } else {
        for (let k = 0; k < stride; k++) left[k] += hist[at + k];
      }
      previousBin = bin;
    }
    return nonEmpty > 1;
  }

  /**
   * The scan of a node with missing values of feature f (the histogram entry at `missingAt`): every boundary
   * between non-empty value bins is scored twice, missing rows left and right, and one more split parts the rows
   * with a value from the missing ones (the gain of missingness itself).
   */
  private scanWithMissing(
    node: PendingNode,
    f: number,
    hist: Float64Array,
    binIds: Int32Array | null,
    entries: number,
    missingAt: number,
  ): boolean {
    const stride = this.stride;
    const total = node.stats;
    const minLeaf = this.params.minSamplesLeaf;
    const missing = this.missingStats;
    for (let k = 0; k < stride; k++) missing[k] = hist[missingAt + k];
    const left = this.scanLeft;
    for (let k = 0; k < stride; k++) left[k] = 0;
    const candidateLeft = this.candidateLeft;
    const candidateRight = this.candidateRight;
    const best = this.best;
    const consider = (leftBin: number, rightBin: number, missingLeft: boolean): void => {
      for (let k = 0; k < stride; k++) {
        candidateLeft[k] = left[k] + (missingLeft ? missing[k] : 0);
        candidateRight[k] = total[k] - candidateLeft[k];
      }
      if (candidateLeft[0] < minLeaf || candidateRight[0] < minLeaf) return;
      const score = this.score(candidateLeft) + this.score(candidateRight);
      if (score > best.score) {
        best.score = score;
        best.feature = f;
        best.leftBin = leftBin;
        best.rightBin = rightBin;
        best.leftStats.set(candidateLeft);
        best.missingLeft = missingLeft;
      }
    };
    let previousBin = -1;
    let nonEmpty = 1;
    for (let e = 0; e < entries; e++) {
      const at = e * stride;
      if (hist[at] === 0) continue;
      const bin = binIds === null ? e : binIds[e];
      nonEmpty++;
      if (previousBin >= 0) {
        consider(previousBin, bin, false);
        consider(previousBin, bin, true);
      }
      for (let k = 0; k < stride; k++) left[k] += hist[at + k];
      previousBin = bin;
    }
    // Every value left, missing right: the threshold is the last value bin of the node.
    if (previousBin >= 0) consider(previousBin, previousBin + 1, false);
    return nonEmpty > 1;
  }

  /**
   * Moves the node's rows with bin <= thresholdBin (and missing rows when they go left) to the front; returns
   * where the right rows start.
   */
  private partition(node: PendingNode, f: number, thresholdBin: number, missingLeft: boolean): number {
    const bins = this.binned.bins;
    const offset = f * this.nRows;
    const rowIndex = this.rowIndex;
    // Missing values have the highest bin: going left, they pass as if the threshold were that bin.
    const missingBin = this.missingBin[f];
    let i = node.start;
    let j = node.end - 1;
    while (i <= j) {
      const r = rowIndex[i];
      const bin = bins[offset + r];
      if (bin <= thresholdBin || (missingLeft && bin === missingBin)) {
        i++;
      } else {
        rowIndex[i] = rowIndex[j];
        rowIndex[j] = r;
        j--;
      }
    }
    return i;
  }

  /**
   * Histogram subtraction: for each feature the larger child will examine and the parent has a histogram of,
   * build the smaller child's histogram from its rows and turn the parent's into the larger child's
   * (parent − smaller). The smaller child keeps its histogram if it examines that feature too.
   */
  private inheritHistograms(parent: PendingNode, a: PendingNode, b: PendingNode): void {
    const [small, large] = a.rowCount <= b.rowCount ? [a, b] : [b, a];
    if (large.rowCount < SORT_PATH_MAX_ROWS) return;
    const entriesOf = (f: number): number => this.nBins[f] * this.stride;
    for (let i = 0; i < large.candidateCount; i++) {
      const f = large.candidates[i];
      const parentHist = parent.hist[f];
      if (parentHist === null) continue;
      const smallHist = this.acquireHistogram();
      this.buildHistogram(smallHist, f, small.start, small.end);
      const length = entriesOf(f);
      for (let k = 0; k < length; k++) parentHist[k] -= smallHist[k];
      // Weights are integers, but regression sums may leave rounding dust in bins the large child lacks.
      if (!this.isClassification) for (let k = 0; k < length; k += 2) if (parentHist[k] === 0) parentHist[k + 1] = 0;
      large.hist[f] = parentHist;
      parent.hist[f] = null;
      if (small.rowCount >= SORT_PATH_MAX_ROWS && small.candidates.subarray(0, small.candidateCount).includes(f)) {
        small.hist[f] = smallHist;
      } else {
        this.histPool.push(smallHist);
      }
    }
  }

  /** Each row left out of this tree's sample gets this tree's vote (or output). */
  private addOutOfBag(): void {
    if (!this.params.bootstrap) return;
    const bins = this.binned.bins;
    const n = this.nRows;
    const { feature, splitBin, left, right, value, missingLeft, missingBin } = this;
    for (let r = 0; r < n; r++) {
      if (this.weight[r] > 0) continue;
      let node = 0;
      while (feature[node] >= 0) {
        const f = feature[node];
        const bin = bins[f * n + r];
        const goLeft = bin === missingBin[f] ? missingLeft[node] === 1 : bin <= splitBin[node];
        node = goLeft ? left[node] : right[node];
      }
      if (this.oobVotes !== null) this.oobVotes[r * this.params.nClasses + value[node]]++;
      else if (this.oobSum !== null && this.oobCount !== null) {
        this.oobSum[r] += value[node];
        this.oobCount[r]++;
      }
    }
  }

  private outOfBagEstimate(): OobEstimate | null {
    const n = this.nRows;
    if (this.oobVotes !== null) {
      const nClasses = this.params.nClasses;
      let rows = 0;
      let correct = 0;
      for (let r = 0; r < n; r++) {
        let bestClass = -1;
        let bestVotes = 0;
        for (let c = 0; c < nClasses; c++) {
          const votes = this.oobVotes[r * nClasses + c];
          if (votes > bestVotes) {
            bestVotes = votes;
            bestClass = c;
          }
        }
        if (bestClass < 0) continue;
        rows++;
        if (bestClass === this.targetForOob[r]) correct++;
      }
      return rows === 0 ? null : { rows, accuracy: correct / rows };
    }
    if (this.oobSum !== null && this.oobCount !== null) {
      let rows = 0;
      let truthSum = 0;
      for (let r = 0; r < n; r++) {
        if (this.oobCount[r] === 0) continue;
        rows++;
        truthSum += this.targetForOob[r];
      }
      if (rows === 0) return null;
      const truthMean = truthSum / rows;
      let absolute = 0;
      let squared = 0;
      let totalSquares = 0;
      for (let r = 0; r < n; r++) {
        if (this.oobCount[r] === 0) continue;
        const truth = this.targetForOob[r];
        const error = this.oobSum[r] / this.oobCount[r] - truth;
        absolute += Math.abs(error);
        squared += error * error;
        totalSquares += (truth - truthMean) * (truth - truthMean);
      }
      const r2 = totalSquares > 0 ? 1 - squared / totalSquares : squared === 0 ? 1 : 0;
      return { rows, r2, mae: absolute / rows, rmse: Math.sqrt(squared / rows) };
    }
    return null;
  }
}

/** The first `size` entries as a plain array (Array.from on a subarray is several times slower). */
function plainArray(values: Int32Array | Float64Array, size: number): number[] {
  return values instanceof Int32Array ? plainIntegers(values, size) : plainNumbers(values, size);
}

// Two monomorphic copies: one loop reading both array types is several times slower.
function plainIntegers(values: Int32Array, size: number): number[] {
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = values[i];
  return out;
}

function plainNumbers(values: Float64Array, size: number): number[] {
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = values[i];
  return out;
}

/** Trains a whole forest synchronously. */
export function trainForest(data: TrainingData, options: ForestOptions, onProgress?: ProgressCallback): TrainedForest {
  const trainer = new ForestTrainer(data, options);
  while (!trainer.done) {
    trainer.step();
    onProgress?.(trainer.treesDone, trainer.treesTotal);
  }
  return trainer.result();
}
