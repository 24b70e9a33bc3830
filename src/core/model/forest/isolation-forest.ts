/**
 * Isolation forest (Liu, Ting and Zhou, 2008): anomalies are few and different, so random splits isolate them
 * in fewer steps than normal points.
 *
 * Each tree is grown on a subsample of ψ rows (drawn without replacement, default 256) up to a height limit of
 * ceil(log2 ψ): a node picks a random feature that varies inside it and a split drawn uniformly between that
 * feature's minimum and maximum there. A leaf reached at depth d holding n rows stores its path length
 * h = d + c(n), where c(n) is the average path length of an unsuccessful search in a binary search tree of n
 * keys (the depth a full tree would still have added). The score of a row x is
 *
 *     s(x) = 2^(−E[h(x)] / c(ψ))     in (0, 1]: higher is stranger; about 0.5 and below is unremarkable.
 *
 * Trees are written in the package's own `iot-ai/trees@1` form with `output: "path-length"`, so the compiled
 * forest (compiled-forest.ts) walks them with the same flat-array loop and averages the leaves' path lengths.
 */
import { addTreeNode, emptyTree, TREES_KIND, Tree, TreeByTreeTrainer, TreeForest } from './forest-format';
import { Random } from '../../util/rng';

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n) = 2·H(n − 1) − 2(n − 1)/n with H(i) ≈ ln(i) + γ (the paper's and scikit-learn's form); c(1) = 0,
 * c(2) = 1.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** s = 2^(−meanPathLength / c(ψ)). */
export function isolationScore(meanPathLength: number, subsampleSize: number): number {
  const normaliser = averagePathLength(subsampleSize);
  return normaliser > 0 ? 2 ** (-meanPathLength / normaliser) : 0.5;
}

export interface IsolationForestOptions {
  /** Default 100. */
  nTrees?: number;
  /** Rows drawn (without replacement) for each tree; default 256, capped at the number of rows. */
  sampleSize?: number;
  /** Default ceil(log2 ψ): deeper nodes only refine points that are normal anyway. */
  maxDepth?: number;
  /** Default 1. The same seed and data always give the same forest. */
  seed?: number;
}

/** The options actually used, as stored in a model file's `params`. */
export interface ResolvedIsolationForestOptions {
  nTrees: number;
  /** As asked for. */
  sampleSize: number;
  /** ψ: the rows each tree was grown on (sampleSize capped at the data's rows). */
  subsampleSize: number;
  maxDepth: number;
  seed: number;
}

export interface TrainedIsolationForest {
  forest: TreeForest;
  params: ResolvedIsolationForestOptions;
}

/** Leaf path lengths are kept to 4 decimals: the score moves by less than 1e-5, the file shrinks by a third. */
const roundPath = (value: number): number => Math.round(value * 1e4) / 1e4;

/** A split with 7 significant digits when that still falls in [low, high), to keep model files small. */
function compactSplit(split: number, low: number, high: number): number {
  const short = Number(split.toPrecision(7));
  if (short >= low && short < high) return short;
  return split >= low && split < high ? split : low;
}

/** Grows an isolation forest one tree at a time, so callers can report progress or yield between trees. */
export class IsolationForestTrainer extends TreeByTreeTrainer {
  readonly params: ResolvedIsolationForestOptions;
  private readonly nRows: number;
  private readonly nFeatures: number;
  /** Column-major copy of the rows. */
  private readonly columns: Float64Array[];
  private readonly permutation: Int32Array;
  private readonly sample: Int32Array;
  private readonly featureOrder: Int32Array;

  constructor(rows: ReadonlyArray<ArrayLike<number>>, options: IsolationForestOptions = {}) {
    super();
    const nRows = rows.length;
    if (nRows < 2) throw new RangeError(`an isolation forest needs at least 2 rows, got ${nRows}`);
    const nFeatures = rows[0].length;
    if (nFeatures === 0) throw new RangeError('rows have no features');
    const nTrees = options.nTrees ?? 100;
    const sampleSize = options.sampleSize ?? 256;
    const seed = options.seed ?? 1;
    if (!(Number.isInteger(nTrees) && nTrees >= 1)) throw new RangeError(`nTrees must be a positive integer, got ${nTrees}`);
    if (!(Number.isInteger(sampleSize) && sampleSize >= 2)) throw new RangeError(`sampleSize must be an integer >= 2, got ${sampleSize}`);
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a number, got ${seed}`);
    const subsampleSize = Math.min(sampleSize, nRows);
    const maxDepth = options.maxDepth ?? Math.ceil(Math.log2(subsampleSize));
    if (!(Number.isInteger(maxDepth) && maxDepth >= 1)) throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
    this.params = { nTrees, sampleSize, subsampleSize, maxDepth, seed };
    this.nRows = nRows;
    this.nFeatures = nFeatures;
    this.columns = Array.from({ length: nFeatures }, () => new Float64Array(nRows));
    for (let r = 0; r < nRows; r++) {
      const row = rows[r];
      if (row.length !== nFeatures) throw new RangeError(`row ${r} has ${row.length} features, expected ${nFeatures}`);
      for (let f = 0; f < nFeatures; f++) {
        const x = row[f];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`row ${r}, feature ${f}: ${String(x)} is not a finite number`);
        this.columns[f][r] = x;
      }
    }
    this.permutation = new Int32Array(nRows);
    this.sample = new Int32Array(subsampleSize);
    this.featureOrder = Int32Array.from({ length: nFeatures }, (_, f) => f);
  }

  /** Grows the next tree. Tree t draws from stream t of the seed, so it does not depend on the trees before it. */
  step(): void {
    if (this.done) return;
    const rng = new Random(this.params.seed, this.trees.length);
    this.drawSample(rng);
    this.trees.push(this.growTree(rng));
  }

  result(): TrainedIsolationForest {
    if (!this.done) throw new Error(`only ${this.trees.length} of ${this.params.nTrees} trees are grown`);
    return {
      forest: {
        kind: TREES_KIND,
        nFeatures: this.nFeatures,
        nClasses: 0,
        output: 'path-length',
        sampleSize: this.params.subsampleSize,
        trees: this.trees.slice(),
      },
      params: { ...this.params },
    };
  }

  /** ψ distinct rows: the first ψ steps of a Fisher–Yates shuffle. */
  private drawSample(rng: Random): void {
    const permutation = this.permutation;
    for (let i = 0; i < this.nRows; i++) permutation[i] = i;
    for (let i = 0; i < this.sample.length; i++) {
      const j = i + rng.int(this.nRows - i);
      const picked = permutation[j];
      permutation[j] = permutation[i];
      permutation[i] = picked;
      this.sample[i] = picked;
    }
  }

  private growTree(rng: Random): Tree {
    const tree: Tree = { ...emptyTree(), cover: [] };
    const cover = tree.cover as number[];
    const addNode = (): number => {
      cover.push(0);
      return addTreeNode(tree);
    };
    const sample = this.sample;
    // Pending nodes as (id, start, end, depth) quadruples over `sample`.
    const pending: number[] = [addNode(), 0, sample.length, 0];
    while (pending.length > 0) {
      const depth = pending.pop() as number;
      const end = pending.pop() as number;
      const start = pending.pop() as number;
      const id = pending.pop() as number;
      const size = end - start;
      cover[id] = size;
      const split = depth < this.params.maxDepth && size > 1 ? this.drawSplit(rng, start, end) : null;
      if (split === null) {
        tree.value[id] = roundPath(depth + averagePathLength(size));
        continue;
      }
      const column = this.columns[split.feature];
      let i = start;
      let j = end - 1;
      while (i <= j) {
        const r = sample[i];
        if (column[r] <= split.threshold) i++;
        else {
          sample[i] = sample[j];
          sample[j] = r;
          j--;
        }
      }
      const left = addNode();
      const right = addNode();
      tree.feature[id] = split.feature;
      tree.threshold[id] = split.threshold;
      tree.left[id] = left;
      tree.right[id] = right;
      pending.push(right, i, end, depth + 1, left, start, i, depth + 1);
    }
    return tree;
  }

  /** A random feature that varies among the node's rows and a uniform split in [min, max); null if none varies. */
  private drawSplit(rng: Random, start: number, end: number): { feature: number; threshold: number } | null {
    const order = rng.shuffle(this.featureOrder);
    for (let k = 0; k < order.length; k++) {
      const column = this.columns[order[k]];
      let low = Infinity;
      let high = -Infinity;
      for (let i = start; i < end; i++) {
        const x = column[this.sample[i]];
        if (x < low) low = x;
        if (x > high) high = x;
      }
      if (high > low) return { feature: order[k], threshold: compactSplit(low + rng.next() * (high - low), low, high) };
    }
    return null;
  }
}

/** Grows a whole isolation forest synchronously. */
export function trainIsolationForest(
  rows: ReadonlyArray<ArrayLike<number>>,
  options: IsolationForestOptions = {},
  onProgress?: (treesDone: number, treesTotal: number) => void,
): TrainedIsolationForest {
  const trainer = new IsolationForestTrainer(rows, options);
  while (!trainer.done) {
    trainer.step();
    onProgress?.(trainer.treesDone, trainer.treesTotal);
  }
  return trainer.result();
}
