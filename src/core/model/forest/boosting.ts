/**
 * Histogram gradient boosting (issue 21.4), on the same binned features as the forest trainer (binning.ts), written
 * as the package's boosted-forest form (`boost: { link, base, treeClass }` in `iot-ai/trees@1`,
 * docs/model-format.md#boosted-forests), so model-predict's compiled walk, TreeSHAP, drift and missing values work
 * on it unchanged.
 *
 * The algorithm is the one of LightGBM and scikit-learn's HistGradientBoosting: each iteration fits one tree per
 * output (softmax: one per class) to the loss's gradients g and hessians h, grown best-first (the leaf whose best
 * split gains most splits next) up to `maxLeafNodes` leaves; a split's gain is
 * G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), a leaf's value −G/(H+λ) times the learning rate (absolute error: the
 * median of the leaf's residuals times the learning rate, as scikit-learn). Missing values take the side of the
 * better gain. Early stopping watches the loss on validation rows the caller sets apart (train-model.ts: the newest
 * of each device's training rows) and keeps the trees up to the best iteration.
 *
 * How it stays fast: features binned once (one byte per row and feature); bins stored row-major (a row's
 * histogram updates read one run of bytes); histogram subtraction (the larger child's histograms are the
 * parent's minus the smaller child's, subtracted bin by bin inside the split scan, so they are read once); the
 * children of the split that reaches the most leaves get no histograms at all; rows partitioned stably in place, so
 * a node's rows stay in ascending order; constant-hessian losses (squared, absolute) keep no hessian at all; nothing
 * is allocated per row.
 *
 * Parity with scikit-learn 1.2.1 (test/fixtures/boosting): fed the same bins, the training losses agree to 1e-5
 * (logistic, squared); under softmax scikit-learn also makes splits whose gain is float32 rounding noise (two leaves
 * of one value), which the gain floor in findSplit refuses.
 */
import { binColumns, BinnedMatrix, MAX_BINS } from './binning';
import { BoostSpec, doubled, TREES_KIND, Tree, TreeForest } from './forest-format';
import type { Task, TrainingData } from './trainer';

/** Regression losses: squared error (the mean) or absolute error (the median, robust to outliers). */
export type RegressionLoss = 'squared' | 'absolute';
export const REGRESSION_LOSSES: readonly RegressionLoss[] = ['squared', 'absolute'];

export interface BoostingOptions {
  task: Task;
  /** Classification: the number of classes. Default: largest target + 1. */
  nClasses?: number;
  /** Regression only; default squared. Classification: log loss (logistic for 2 classes, softmax beyond). */
  loss?: RegressionLoss;
  /** Shrinkage: each tree's leaves are scaled by it. Default 0.1. */
  learningRate?: number;
  /** Boosting iterations at most (softmax: one tree per class each). Default 100. */
  maxIter?: number;
  /** Leaves per tree at most (best-first growth). Default 31; null: unlimited (then maxDepth bounds it). */
  maxLeafNodes?: number | null;
  /** Deepest split level (the root is depth 0). Default: unlimited. */
  maxDepth?: number | null;
  /** Least training rows in a leaf. Default 20. */
  minSamplesLeaf?: number;
  /** L2 regularisation λ of leaf values (added to each leaf's hessian sum). Default 0. */
  l2?: number;
  /** Value bins per feature, 2..65,535 (as the forest). Default 255. */
  maxBins?: number;
  /** Early stopping (needs validation rows): iterations without a loss improvement above `tol` before it stops. Default 10. */
  patience?: number;
  /** Default 1e-7. */
  tol?: number;
}

/** The options actually used, as stored in a model file's `params`. */
export interface ResolvedBoostingOptions {
  model: 'boosting';
  task: Task;
  nClasses: number;
  loss: RegressionLoss | 'log';
  learningRate: number;
  maxIter: number;
  maxLeafNodes: number | null;
  maxDepth: number | null;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
  patience: number;
  tol: number;
}

export interface BoostingData extends TrainingData {
  /** Rows early stopping watches (never trained on); without them every iteration up to maxIter is grown. */
  validation?: TrainingData;
}

export interface TrainedBoosting {
  forest: TreeForest;
  /** Total gain of the splits on each feature, normalised to sum to 1. */
  importances: number[];
  params: ResolvedBoostingOptions & {
    /** Iterations kept (the best with early stopping). */
    iterations: number;
    /** Early stopping: the iterations grown before it stopped, and the validation rows it watched. */
    earlyStopping?: { grown: number; validationRows: number; bestLoss: number };
  };
}

export function resolveBoostingOptions(options: BoostingOptions, maxTarget: number): ResolvedBoostingOptions {
  const task = options.task;
  if (task !== 'classification' && task !== 'regression') throw new RangeError(`unknown task ${String(task)}`);
  const isClassification = task === 'classification';
  if (isClassification && options.loss !== undefined) throw new RangeError('loss applies to regression (classification uses log loss)');
  const loss = isClassification ? 'log' : (options.loss ?? 'squared');
  if (loss !== 'log' && !REGRESSION_LOSSES.includes(loss)) throw new RangeError(`loss must be squared or absolute, got ${String(loss)}`);
  const resolved: ResolvedBoostingOptions = {
    model: 'boosting',
    task,
    nClasses: isClassification ? (options.nClasses ?? maxTarget + 1) : 0,
    loss,
    learningRate: options.learningRate ?? 0.1,
    maxIter: options.maxIter ?? 100,
    maxLeafNodes: options.maxLeafNodes === undefined ? 31 : options.maxLeafNodes,
    maxDepth: options.maxDepth === undefined || options.maxDepth === Infinity ? null : options.maxDepth,
    minSamplesLeaf: options.minSamplesLeaf ?? 20,
    l2: options.l2 ?? 0,
    maxBins: options.maxBins ?? 255,
    patience: options.patience ?? 10,
    tol: options.tol ?? 1e-7,
  };
  const integer = (name: string, value: number, min: number): void => {
    if (!(Number.isInteger(value) && value >= min)) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  };
  if (!(resolved.learningRate > 0 && resolved.learningRate <= 10)) throw new RangeError(`learningRate must be in (0, 10], got ${resolved.learningRate}`);
  integer('maxIter', resolved.maxIter, 1);
  if (resolved.maxLeafNodes !== null) integer('maxLeafNodes', resolved.maxLeafNodes, 2);
  if (resolved.maxDepth !== null) integer('maxDepth', resolved.maxDepth, 0);
  integer('minSamplesLeaf', resolved.minSamplesLeaf, 1);
  integer('patience', resolved.patience, 1);
  if (!(Number.isFinite(resolved.l2) && resolved.l2 >= 0)) throw new RangeError(`l2 must be a number >= 0, got ${resolved.l2}`);
  if (!(Number.isFinite(resolved.tol) && resolved.tol >= 0)) throw new RangeError(`tol must be a number >= 0, got ${resolved.tol}`);
  if (!(Number.isInteger(resolved.maxBins) && resolved.maxBins >= 2 && resolved.maxBins <= MAX_BINS - 1)) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_BINS - 1}], got ${resolved.maxBins}`);
  }
  if (isClassification && !(Number.isInteger(resolved.nClasses) && resolved.nClasses >= 2)) {
    throw new RangeError(`boosting needs at least 2 classes, got ${resolved.nClasses}`);
  }
  return resolved;
}

/** Least hessian sum of a child (scikit-learn's min_hessian_to_split): a leaf of near-certain rows learns nothing. */
const MIN_HESSIAN = 1e-3;
/** Probabilities are kept within [EPS, 1 − EPS] for the base margin and the validation loss. */
const EPS = 1e-15;

/** A leaf of the tree being grown, and its best split once found. */
interface GrowNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  sumG: number;
  sumH: number;
  /** Histograms of every feature (at featureOffset[f] × stride), or null once released. */
  hist: Float64Array | null;
  /** The best split: feature −1 when none. */
  feature: number;
  /** Last bin going left (value bins), the threshold bin written, and where missing values go. */
  thresholdBin: number;
  missingLeft: boolean;
  gain: number;
  leftG: number;
  leftH: number;
  leftCount: number;
}

/**
 * Trains a boosted forest one iteration at a time (`step()`), so callers can report progress or yield between.
 * Binning happens once, in the constructor.
 */
export class BoostingTrainer {
  readonly params: ResolvedBoostingOptions;
  private readonly nRows: number;
  private readonly nFeatures: number;
  private readonly binned: BinnedMatrix;
  /** Row-major bin numbers: row r's bin of feature f is `bins[r * nFeatures + f]` (a row's histogram updates read one run of bytes). */
  private readonly bins: Uint8Array | Uint16Array;
  private readonly nBins: Int32Array;
  private readonly missingBin: Int32Array;
  /** Where each feature's histogram starts (in bins), and the bins of all features. */
  private readonly featureOffset: Int32Array;
  private readonly totalBins: number;
  /** Values per histogram bin: [g, count] (constant hessian) or [g, h, count]. */
  private readonly stride: number;
  private readonly constantHessian: boolean;
  /** Outputs (margins): nClasses under softmax, else 1. */
  private readonly nOutputs: number;
  private readonly target: Float64Array;
  private readonly base: Float64Array;
  /** Current margins of the training rows, output-major: raw[k * nRows + r]. */
  private readonly raw: Float64Array;
  private readonly gradient: Float64Array;
  private readonly hessian: Float64Array;
  /** Softmax: one row's e^(margin − max margin) per class. */
  private readonly expBuffer: Float64Array;
  private readonly rowIndex: Int32Array;
  private readonly partitionBuffer: Int32Array;
  private readonly histPool: Float64Array[] = [];
  private readonly importance: Float64Array;
  /** The best split found so far by findSplit's scans. */
  private readonly best = new BestSplit();
  /** Validation rows, column-major raw values, their targets and margins. */
  private readonly validation: { nRows: number; columns: Float64Array; target: Float64Array; raw: Float64Array } | null;
  private readonly trees: Tree[] = [];
  private readonly treeClass: number[] = [];
  private iterations = 0;
  private bestIteration = 0;
  private bestLoss = Infinity;
  private stopped = false;

  // The tree being grown.
  private nodeCount = 0;
  private feature = new Int32Array(64);
  private threshold = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private value = new Float64Array(64);
  private missingLeftOf = new Int32Array(64);
  private cover = new Float64Array(64);

  constructor(data: BoostingData, options: BoostingOptions) {
    const nRows = data.rows.length;
    if (nRows === 0) throw new RangeError('no training rows');
    if (data.target.length !== nRows) throw new RangeError(`${nRows} rows but ${data.target.length} targets`);
    const nFeatures = data.rows[0].length;
    if (nFeatures === 0) throw new RangeError('rows have no features');
    const isClassification = options.task === 'classification';
    let maxTarget = 0;
    const checkTargets = (target: ArrayLike<number>, what: string): void => {
      for (let r = 0; r < target.length; r++) {
        const y = target[r];
        if (isClassification ? !(Number.isInteger(y) && y >= 0) : !Number.isFinite(y)) {
          throw new RangeError(`${what} ${r}: ${y} is not ${isClassification ? 'a class index (an integer >= 0)' : 'a finite number'}`);
        }
        if (y > maxTarget) maxTarget = y;
      }
    };
    checkTargets(data.target, 'target');
    this.params = resolveBoostingOptions(options, maxTarget);
    const params = this.params;
    if (isClassification && maxTarget >= params.nClasses) throw new RangeError(`target ${maxTarget} is not a class index in [0, ${params.nClasses})`);
    this.nRows = nRows;
    this.nFeatures = nFeatures;
    this.nOutputs = isClassification && params.nClasses > 2 ? params.nClasses : 1;
    this.constantHessian = !isClassification;
    this.stride = this.constantHessian ? 2 : 3;

    const columns: Float64Array[] = [];
    for (let f = 0; f < nFeatures; f++) columns.push(new Float64Array(nRows));
    for (let r = 0; r < nRows; r++) copyRow(data.rows[r], r, nFeatures, (f, x) => (columns[f][r] = x));
    this.binned = binColumns(columns, params.maxBins);
    this.bins = rowMajor(this.binned);
    this.missingBin = this.binned.missingBin;
    this.nBins = Int32Array.from(this.binned.edges, (edges, f) => edges.length + (this.missingBin[f] >= 0 ? 1 : 0));
    this.featureOffset = new Int32Array(nFeatures + 1);
    for (let f = 0; f < nFeatures; f++) this.featureOffset[f + 1] = this.featureOffset[f] + this.nBins[f];
    this.totalBins = this.featureOffset[nFeatures];

    this.target = Float64Array.from(data.target);
    this.base = this.baseMargins();
    this.raw = new Float64Array(this.nOutputs * nRows);
    for (let k = 0; k < this.nOutputs; k++) this.raw.fill(this.base[k], k * nRows, (k + 1) * nRows);
    this.gradient = new Float64Array(this.nOutputs * nRows);
    this.hessian = new Float64Array(this.constantHessian ? 0 : this.nOutputs * nRows);
    this.expBuffer = new Float64Array(this.nOutputs);
    this.rowIndex = new Int32Array(nRows);
    this.partitionBuffer = new Int32Array(nRows);
    this.importance = new Float64Array(nFeatures);

    const validation = data.validation;
    if (validation !== undefined && validation.rows.length > 0) {
      const n = validation.rows.length;
      if (validation.target.length !== n) throw new RangeError(`${n} validation rows but ${validation.target.length} targets`);
      checkTargets(validation.target, 'validation target');
      if (isClassification && maxTarget >= params.nClasses) throw new RangeError(`validation target ${maxTarget} is not a class index in [0, ${params.nClasses})`);
      const columnsOfValidation = new Float64Array(n * nFeatures);
      for (let r = 0; r < n; r++) copyRow(validation.rows[r], r, nFeatures, (f, x) => (columnsOfValidation[f * n + r] = x));
      const raw = new Float64Array(this.nOutputs * n);
      for (let k = 0; k < this.nOutputs; k++) raw.fill(this.base[k], k * n, (k + 1) * n);
      this.validation = { nRows: n, columns: columnsOfValidation, target: Float64Array.from(validation.target), raw };
    } else this.validation = null;
  }

  get iterationsDone(): number {
    return this.iterations;
  }

  get iterationsTotal(): number {
    return this.params.maxIter;
  }

  /** All iterations grown, or early stopping ended them. */
  get done(): boolean {
    return this.stopped || this.iterations >= this.params.maxIter;
  }

  /** One boosting iteration: one tree per output. */
  step(): void {
    if (this.done) return;
    this.computeGradients();
    for (let k = 0; k < this.nOutputs; k++) {
      this.growTree(k);
      this.treeClass.push(k);
    }
    this.iterations++;
    if (this.validation !== null) {
      const loss = this.validationLoss();
      if (loss < this.bestLoss - this.params.tol) {
        this.bestLoss = loss;
        this.bestIteration = this.iterations;
      } else if (this.iterations - this.bestIteration >= this.params.patience) this.stopped = true;
    }
  }

  result(): TrainedBoosting {
    if (!this.done) throw new Error(`only ${this.iterations} of ${this.params.maxIter} iterations are grown`);
    // Early stopping keeps the trees up to the best iteration (the validation loss after it only got worse).
    const kept = this.validation !== null ? Math.max(1, this.bestIteration) : this.iterations;
    const trees = this.trees.slice(0, kept * this.nOutputs);
    const isClassification = this.params.task === 'classification';
    const boost: BoostSpec = this.nOutputs > 1
      ? { link: 'softmax', base: Array.from(this.base), treeClass: this.treeClass.slice(0, trees.length) }
      : { link: isClassification ? 'logistic' : 'identity', base: [this.base[0]] };
    let total = 0;
    for (let f = 0; f < this.nFeatures; f++) total += this.importance[f];
    return {
      forest: { kind: TREES_KIND, nFeatures: this.nFeatures, nClasses: this.params.nClasses, boost, trees },
      importances: Array.from(this.importance, (v) => (total > 0 ? v / total : 0)),
      params: {
        ...this.params,
        iterations: kept,
        ...(this.validation !== null ? { earlyStopping: { grown: this.iterations, validationRows: this.validation.nRows, bestLoss: this.bestLoss } } : {}),
      },
    };
  }

  /** The margin every prediction starts from: the mean or median, the log-odds of class 1, or log class shares. */
  private baseMargins(): Float64Array {
    const y = this.target;
    const n = this.nRows;
    const params = this.params;
    if (params.task === 'regression') {
      if (params.loss === 'absolute') return Float64Array.of(median(Float64Array.from(y)));
      let sum = 0;
      for (let r = 0; r < n; r++) sum += y[r];
      return Float64Array.of(sum / n);
    }
    const counts = new Float64Array(params.nClasses);
    for (let r = 0; r < n; r++) counts[y[r]]++;
    const share = (c: number): number => Math.min(1 - EPS, Math.max(EPS, counts[c] / n));
    if (this.nOutputs === 1) return Float64Array.of(Math.log(share(1) / (1 - share(1))));
    return Float64Array.from(counts, (_, c) => Math.log(share(c)));
  }

  private computeGradients(): void {
    const n = this.nRows;
    const { raw, gradient, hessian, target } = this;
    if (this.params.task === 'regression') {
      const absolute = this.params.loss === 'absolute';
      for (let r = 0; r < n; r++) {
        const d = raw[r] - target[r];
        gradient[r] = absolute ? (d > 0 ? 1 : d < 0 ? -1 : 0) : d;
      }
      return;
    }
    if (this.nOutputs === 1) {
      for (let r = 0; r < n; r++) {
        const p = sigmoid(raw[r]);
        gradient[r] = p - target[r];
        hessian[r] = Math.max(p * (1 - p), 1e-16);
      }
      return;
    }
    const K = this.nOutputs;
    const e = this.expBuffer;
    for (let r = 0; r < n; r++) {
      let most = -Infinity;
      for (let k = 0; k < K; k++) if (raw[k * n + r] > most) most = raw[k * n + r];
      let sum = 0;
      for (let k = 0; k < K; k++) sum += e[k] = Math.exp(raw[k * n + r] - most);
      const y = target[r];
      for (let k = 0; k < K; k++) {
        const p = e[k] / sum;
        gradient[k * n + r] = p - (y === k ? 1 : 0);
        hessian[k * n + r] = Math.max(p * (1 - p), 1e-16);
      }
    }
  }

  /** Mean loss of the validation rows at their current margins (log loss, squared or absolute error). */
  private validationLoss(): number {
    const v = this.validation!;
    const n = v.nRows;
    const { raw, target } = v;
    let total = 0;
    if (this.params.task === 'regression') {
      const absolute = this.params.loss === 'absolute';
      for (let r = 0; r < n; r++) {
        const d = raw[r] - target[r];
        total += absolute ? Math.abs(d) : d * d;
      }
    } else if (this.nOutputs === 1) {
      for (let r = 0; r < n; r++) {
        const p = Math.min(1 - EPS, Math.max(EPS, sigmoid(raw[r])));
        total -= target[r] === 1 ? Math.log(p) : Math.log(1 - p);
      }
    } else {
      const K = this.nOutputs;
      for (let r = 0; r < n; r++) {
        let most = -Infinity;
        for (let k = 0; k < K; k++) if (raw[k * n + r] > most) most = raw[k * n + r];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(raw[k * n + r] - most);
        total -= raw[target[r] * n + r] - most - Math.log(sum);
      }
    }
    return total / n;
  }

  /** Grows output k's tree on its gradients, adds it and updates the margins. */
  private growTree(k: number): void {
    const params = this.params;
    const n = this.nRows;
    const gOffset = k * n;
    this.nodeCount = 0;
    for (let r = 0; r < n; r++) this.rowIndex[r] = r;
    let sumG = 0;
    let sumH = 0;
    for (let r = 0; r < n; r++) {
      sumG += this.gradient[gOffset + r];
      sumH += this.constantHessian ? 1 : this.hessian[gOffset + r];
    }
    const root = this.newNode(0, n, 0, sumG, sumH);
    if (this.splittable(root)) {
      root.hist = this.acquireHistogram();
      this.buildHistograms(root, k);
      this.findSplit(root, null);
      this.releaseUnless(root);
    }
    const leaves: GrowNode[] = [root];
    const maxLeaves = params.maxLeafNodes ?? Infinity;
    let leafCount = 1;
    while (leafCount < maxLeaves) {
      // Best-first: the leaf whose split gains most.
      let at = -1;
      for (let i = 0; i < leaves.length; i++) if (leaves[i].feature >= 0 && (at < 0 || leaves[i].gain > leaves[at].gain)) at = i;
      if (at < 0) break;
      const node = leaves[at];
      // The split that reaches the most leaves leaves two children that will not split: no histograms for them.
      const [leftChild, rightChild] = this.split(node, k, leafCount + 1 < maxLeaves);
      leaves[at] = leftChild;
      leaves.push(rightChild);
      leafCount++;
    }
    for (const leaf of leaves) {
      if (leaf.hist !== null) this.histPool.push(leaf.hist);
      leaf.hist = null;
      this.makeLeaf(leaf, k);
    }
    const size = this.nodeCount;
    const tree: Tree = {
      feature: Array.from(this.feature.subarray(0, size)),
      threshold: Array.from(this.threshold.subarray(0, size)),
      left: Array.from(this.left.subarray(0, size)),
      right: Array.from(this.right.subarray(0, size)),
      value: Array.from(this.value.subarray(0, size)),
      missingLeft: Array.from(this.missingLeftOf.subarray(0, size)),
      cover: Array.from(this.cover.subarray(0, size)),
    };
    this.trees.push(tree);
    if (this.validation !== null) this.addToValidation(tree, k);
  }

  private newNode(start: number, end: number, depth: number, sumG: number, sumH: number): GrowNode {
    const id = this.nodeCount++;
    if (id === this.feature.length) {
      this.feature = doubled(this.feature);
      this.threshold = doubled(this.threshold);
      this.left = doubled(this.left);
      this.right = doubled(this.right);
      this.value = doubled(this.value);
      this.missingLeftOf = doubled(this.missingLeftOf);
      this.cover = doubled(this.cover);
    }
    this.feature[id] = -1;
    this.threshold[id] = 0;
    this.left[id] = -1;
    this.right[id] = -1;
    this.value[id] = 0;
    this.missingLeftOf[id] = 0;
    this.cover[id] = end - start;
    return { id, start, end, depth, sumG, sumH, hist: null, feature: -1, thresholdBin: 0, missingLeft: false, gain: 0, leftG: 0, leftH: 0, leftCount: 0 };
  }

  private acquireHistogram(): Float64Array {
    return this.histPool.pop() ?? new Float64Array(this.totalBins * this.stride);
  }

  /** The node's histograms of every feature, from its rows (row by row: a row's bins are one run of bytes). */
  private buildHistograms(node: GrowNode, k: number): void {
    const hist = node.hist!;
    const stride = this.stride;
    hist.fill(0);
    const { start, end } = node;
    const count = end - start;
    const n = this.nRows;
    const rowIndex = this.rowIndex;
    const gOffset = k * n;
    const gradient = this.gradient;
    const hessian = this.hessian;
    const bins = this.bins;
    const nFeatures = this.nFeatures;
    const featureOffset = this.featureOffset;
    if (this.constantHessian) {
      for (let i = 0; i < count; i++) {
        const r = rowIndex[start + i];
        const at = r * nFeatures;
        const g = gradient[gOffset + r];
        for (let f = 0; f < nFeatures; f++) {
          const j = (featureOffset[f] + bins[at + f]) * 2;
          hist[j] += g;
          hist[j + 1]++;
        }
      }
    } else {
      for (let i = 0; i < count; i++) {
        const r = rowIndex[start + i];
        const at = r * nFeatures;
        const g = gradient[gOffset + r];
        const h = hessian[gOffset + r];
        for (let f = 0; f < nFeatures; f++) {
          const j = (featureOffset[f] + bins[at + f]) * 3;
          hist[j] += g;
          hist[j + 1] += h;
          hist[j + 2]++;
        }
      }
    }
  }

  /** Whether a node may be split at all: rows for two leaves, and depth left. */
  private splittable(node: GrowNode): boolean {
    const params = this.params;
    return node.end - node.start >= 2 * params.minSamplesLeaf && (params.maxDepth === null || node.depth < params.maxDepth);
  }

  /**
   * Finds the node's best split over every feature (leaves node.feature at −1 when none may be made). With `sibling`,
   * the node's histograms are still its parent's: each bin is turned into the node's (parent − sibling) as the scan
   * reaches it, so a histogram is read once (the bins past where the scan stops are subtracted after it).
   */
  private findSplit(node: GrowNode, sibling: Float64Array | null): void {
    const params = this.params;
    node.feature = -1;
    const count = node.end - node.start;
    const minLeaf = params.minSamplesLeaf;
    const hist = node.hist!;
    const stride = this.stride;
    const constant = this.constantHessian;
    const countAt = constant ? 1 : 2;
    const lambda = params.l2;
    const G = node.sumG;
    const H = node.sumH;
    const parentScore = (G * G) / (H + lambda);
    const best = this.best;
    best.gain = 1e-12 * Math.max(1, Math.abs(parentScore));
    best.feature = -1;
    for (let f = 0; f < this.nFeatures; f++) {
      const at = this.featureOffset[f] * stride;
      const missing = this.missingBin[f];
      const valueBins = this.nBins[f] - (missing >= 0 ? 1 : 0);
      let missCount = 0;
      if (missing >= 0) {
        const m = at + missing * stride;
        if (sibling !== null) for (let j = m; j < m + stride; j++) hist[j] -= sibling[j];
        missCount = hist[m + countAt];
      }
      if (missCount === 0) {
        // Missing values go with the larger side later; only the value thresholds compete. The scan stops once
        // fewer than minLeaf rows are right of the threshold.
        const scanned = constant
          ? scanConstant(hist, sibling, at, at + valueBins * 2, count, G, H, lambda, minLeaf, parentScore, f, best)
          : scanHessian(hist, sibling, at, at + valueBins * 3, count, G, H, lambda, minLeaf, parentScore, f, best);
        if (sibling !== null) for (let j = scanned; j < at + valueBins * stride; j++) hist[j] -= sibling[j];
        continue;
      }
      if (sibling !== null) for (let j = at; j < at + valueBins * stride; j++) hist[j] -= sibling[j];
      this.scanWithMissing(hist, at, valueBins, count, G, H, parentScore, f);
    }
    if (best.feature < 0) return;
    node.feature = best.feature;
    node.thresholdBin = best.bin;
    node.missingLeft = best.missingLeft;
    node.gain = best.gain;
    node.leftG = best.leftG;
    node.leftH = best.leftH;
    node.leftCount = best.leftCount;
    // The threshold: midway (in bins) to the next value bin the node has, as the forest writes it.
    const f = node.feature;
    const at = this.featureOffset[f] * stride;
    const valueBins = this.nBins[f] - (this.missingBin[f] >= 0 ? 1 : 0);
    let next = node.thresholdBin + 1;
    while (next < valueBins && hist[at + next * stride + countAt] === 0) next++;
    node.thresholdBin = next < valueBins ? (node.thresholdBin + next - 1) >> 1 : node.thresholdBin;
  }

  /** The scan of a feature whose node has missing values: each threshold with the missing rows right, then left. */
  private scanWithMissing(hist: Float64Array, at: number, valueBins: number, count: number, G: number, H: number, parentScore: number, f: number): void {
    const stride = this.stride;
    const constant = this.constantHessian;
    const countAt = constant ? 1 : 2;
    const minLeaf = this.params.minSamplesLeaf;
    const lambda = this.params.l2;
    const best = this.best;
    const m = at + this.missingBin[f] * stride;
    const missG = hist[m];
    const missCount = hist[m + countAt];
    const missH = constant ? missCount : hist[m + 1];
    let lG = 0;
    let lH = 0;
    let lCount = 0;
    for (let b = 0; b < valueBins; b++) {
      const j = at + b * stride;
      const binCount = hist[j + countAt];
      if (binCount === 0) continue;
      lG += hist[j];
      lH += constant ? binCount : hist[j + 1];
      lCount += binCount;
      for (let side = 0; side < 2; side++) {
        const cG = side === 0 ? lG : lG + missG;
        const cH = side === 0 ? lH : lH + missH;
        const cCount = side === 0 ? lCount : lCount + missCount;
        const rCount = count - cCount;
        if (cCount < minLeaf || rCount < minLeaf) continue;
        const rH = H - cH;
        if (cH < MIN_HESSIAN || rH < MIN_HESSIAN) continue;
        const rG = G - cG;
        const gain = (cG * cG) / (cH + lambda) + (rG * rG) / (rH + lambda) - parentScore;
        if (gain > best.gain) best.set(f, b, side === 1, gain, cG, cH, cCount);
      }
      if (count - lCount < minLeaf) break;
    }
  }

  /**
   * Splits a leaf: partitions its rows and gives each child that may split again its histograms (the smaller
   * child's built from its rows, the larger's by subtraction from the parent's) and its best split.
   */
  private split(node: GrowNode, k: number, childrenMaySplit: boolean): [GrowNode, GrowNode] {
    const f = node.feature;
    const id = node.id;
    this.feature[id] = f;
    this.threshold[id] = this.binned.edges[f][node.thresholdBin];
    this.missingLeftOf[id] = node.missingLeft ? 1 : 0;
    this.importance[f] += node.gain;
    const mid = this.partition(node, f);
    const depth = node.depth + 1;
    const leftChild = this.newNode(node.start, mid, depth, node.leftG, node.leftH);
    const rightChild = this.newNode(mid, node.end, depth, node.sumG - node.leftG, node.sumH - node.leftH);
    this.left[id] = leftChild.id;
    this.right[id] = rightChild.id;
    const [small, large] = mid - node.start <= node.end - mid ? [leftChild, rightChild] : [rightChild, leftChild];
    const parentHist = node.hist!;
    node.hist = null;
    const smallSplits = childrenMaySplit && this.splittable(small);
    if (childrenMaySplit && this.splittable(large)) {
      small.hist = this.acquireHistogram();
      this.buildHistograms(small, k);
      large.hist = parentHist;
      this.findSplit(large, small.hist);
      this.releaseUnless(large);
      if (smallSplits) this.findSplit(small, null);
      this.releaseUnless(small, smallSplits);
    } else if (smallSplits) {
      // The larger child will stay a leaf: the parent's buffer takes the smaller child's histograms.
      small.hist = parentHist;
      this.buildHistograms(small, k);
      this.findSplit(small, null);
      this.releaseUnless(small);
    } else this.histPool.push(parentHist);
    return [leftChild, rightChild];
  }

  /** The node's histograms go back to the pool when it will stay a leaf (or `keep` is false). */
  private releaseUnless(node: GrowNode, keep = true): void {
    if ((!keep || node.feature < 0) && node.hist !== null) {
      this.histPool.push(node.hist);
      node.hist = null;
    }
  }

  /** Stable in-place partition of the node's rows (bin <= threshold bin, or missing going left, first); returns the first right row. */
  private partition(node: GrowNode, f: number): number {
    // The column-major bins: the feature's column is one run of nRows values (the row-major copy would stride).
    const column = this.binned.bins;
    const offset = f * this.nRows;
    const rowIndex = this.rowIndex;
    const buffer = this.partitionBuffer;
    const missingBin = this.missingBin[f];
    const thresholdBin = node.thresholdBin;
    const missingLeft = node.missingLeft;
    let l = node.start;
    let rCount = 0;
    // Branch-free: each row is written to both sides and only the side it belongs to moves on.
    const missingGoesLeft = missingLeft ? 1 : 0;
    for (let i = node.start; i < node.end; i++) {
      const r = rowIndex[i];
      const bin = column[offset + r];
      const goLeft = bin === missingBin ? missingGoesLeft : bin <= thresholdBin ? 1 : 0;
      rowIndex[l] = r;
      buffer[rCount] = r;
      l += goLeft;
      rCount += 1 - goLeft;
    }
    rowIndex.set(buffer.subarray(0, rCount), l);
    return l;
  }

  /** A leaf's value (the shrunk Newton step, or the median residual for absolute error), added to its rows' margins. */
  private makeLeaf(leaf: GrowNode, k: number): void {
    const params = this.params;
    const n = this.nRows;
    const raw = this.raw;
    const rowIndex = this.rowIndex;
    let value: number;
    if (params.loss === 'absolute') {
      const residuals = new Float64Array(leaf.end - leaf.start);
      for (let i = leaf.start; i < leaf.end; i++) residuals[i - leaf.start] = this.target[rowIndex[i]] - raw[rowIndex[i]];
      value = params.learningRate * median(residuals);
    } else value = (-params.learningRate * leaf.sumG) / (leaf.sumH + params.l2);
    if (!Number.isFinite(value)) value = 0;
    this.value[leaf.id] = value;
    const at = k * n;
    for (let i = leaf.start; i < leaf.end; i++) raw[at + rowIndex[i]] += value;
  }

  /** Walks the validation rows down the new tree (raw values against the written thresholds, as predictions will). */
  private addToValidation(tree: Tree, k: number): void {
    const v = this.validation!;
    const n = v.nRows;
    const { feature, threshold, left, right, value } = tree;
    const missingLeft = tree.missingLeft!;
    for (let r = 0; r < n; r++) {
      let node = 0;
      while (left[node] >= 0) {
        const x = v.columns[feature[node] * n + r];
        node = (x !== x ? missingLeft[node] === 1 : x <= threshold[node]) ? left[node] : right[node];
      }
      v.raw[k * n + r] += value[node];
    }
  }
}

/** The best split of a node found so far (one object reused by every scan, so scans allocate nothing). */
class BestSplit {
  feature = -1;
  bin = 0;
  missingLeft = false;
  gain = 0;
  leftG = 0;
  leftH = 0;
  leftCount = 0;

  set(feature: number, bin: number, missingLeft: boolean, gain: number, leftG: number, leftH: number, leftCount: number): void {
    this.feature = feature;
    this.bin = bin;
    this.missingLeft = missingLeft;
    this.gain = gain;
    this.leftG = leftG;
    this.leftH = leftH;
    this.leftCount = leftCount;
  }
}

/*
 * The scans of one feature's value bins [from, to) (as indices into the histograms) for its best threshold, with no
 * missing value at the node, one per histogram layout so that the hot loop has constant offsets: [g, count] when the
 * hessian is constant (it is the count), [g, h, count] otherwise. With `sibling`, each bin is first turned into
 * parent − sibling. A scan returns the index up to which bins are subtracted (where it stopped: fewer than minLeaf
 * rows right of the threshold).
 */
function scanConstant(hist: Float64Array, sibling: Float64Array | null, from: number, to: number, count: number, G: number, H: number, lambda: number, minLeaf: number, parentScore: number, f: number, best: BestSplit): number {
  let lG = 0;
  let lCount = 0;
  for (let j = from; j < to; j += 2) {
    let binCount: number;
    if (sibling !== null) {
      binCount = hist[j + 1] = hist[j + 1] - sibling[j + 1];
      if (binCount === 0) {
        hist[j] = 0;
        continue;
      }
      hist[j] -= sibling[j];
    } else {
      binCount = hist[j + 1];
      if (binCount === 0) continue;
    }
    lG += hist[j];
    lCount += binCount;
    const rCount = count - lCount;
    if (rCount < minLeaf) return j + 2;
    if (lCount < minLeaf) continue;
    const rH = H - lCount;
    if (lCount < MIN_HESSIAN || rH < MIN_HESSIAN) continue;
    const rG = G - lG;
    const gain = (lG * lG) / (lCount + lambda) + (rG * rG) / (rH + lambda) - parentScore;
    if (gain > best.gain) best.set(f, (j - from) >> 1, lCount >= rCount, gain, lG, lCount, lCount);
  }
  return to;
}

function scanHessian(hist: Float64Array, sibling: Float64Array | null, from: number, to: number, count: number, G: number, H: number, lambda: number, minLeaf: number, parentScore: number, f: number, best: BestSplit): number {
  let lG = 0;
  let lH = 0;
  let lCount = 0;
  for (let j = from; j < to; j += 3) {
    let binCount: number;
    if (sibling !== null) {
      // A bin the node has no row in is exactly empty (no rounding residue of parent − sibling left in it).
      binCount = hist[j + 2] = hist[j + 2] - sibling[j + 2];
      if (binCount === 0) {
        hist[j] = 0;
        hist[j + 1] = 0;
        continue;
      }
      hist[j] -= sibling[j];
      hist[j + 1] -= sibling[j + 1];
    } else {
      binCount = hist[j + 2];
      if (binCount === 0) continue;
    }
    lG += hist[j];
    lH += hist[j + 1];
    lCount += binCount;
    const rCount = count - lCount;
    if (rCount < minLeaf) return j + 3;
    if (lCount < minLeaf) continue;
    const rH = H - lH;
    if (lH < MIN_HESSIAN || rH < MIN_HESSIAN) continue;
    const rG = G - lG;
    const gain = (lG * lG) / (lH + lambda) + (rG * rG) / (rH + lambda) - parentScore;
    if (gain > best.gain) best.set(f, (j - from) / 3, lCount >= rCount, gain, lG, lH, lCount);
  }
  return to;
}

/** The binned matrix transposed to row-major order (same element type). */
function rowMajor(binned: BinnedMatrix): Uint8Array | Uint16Array {
  const { nRows, nFeatures, bins } = binned;
  const out = bins instanceof Uint8Array ? new Uint8Array(bins.length) : new Uint16Array(bins.length);
  for (let f = 0; f < nFeatures; f++) {
    const offset = f * nRows;
    for (let r = 0; r < nRows; r++) out[r * nFeatures + f] = bins[offset + r];
  }
  return out;
}

function copyRow(row: ArrayLike<number>, r: number, nFeatures: number, put: (f: number, x: number) => void): void {
  if (row.length !== nFeatures) throw new RangeError(`row ${r} has ${row.length} features, expected ${nFeatures}`);
  for (let f = 0; f < nFeatures; f++) {
    const x = row[f];
    if (typeof x !== 'number' || !(Number.isFinite(x) || Number.isNaN(x))) {
      throw new RangeError(`row ${r}, feature ${f}: ${String(x)} is not a finite number or NaN (missing)`);
    }
    put(f, x);
  }
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** The median (mean of the two middle values for an even count); sorts `values` in place. */
function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  values.sort();
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** Trains a whole boosted forest synchronously. */
export function trainBoosting(data: BoostingData, options: BoostingOptions): TrainedBoosting {
  const trainer = new BoostingTrainer(data, options);
  while (!trainer.done) trainer.step();
  return trainer.result();
}
