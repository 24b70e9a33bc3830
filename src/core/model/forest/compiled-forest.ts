/**
 * Compiled inference: a forest flattened into typed arrays and walked with a tight loop.
 *
 * Every tree is laid out depth-first (pre-order), so the left child of a split sits right after it: a split
 * stores only its right child. A leaf keeps its output in the threshold slot, names a feature at or past
 * `nFeatures` (a classification leaf names `nFeatures + its class`, so a vote needs no number conversion) and is
 * its own right child. Two walks read this layout:
 *
 * - branching: one tree at a time, `node = x <= threshold ? node + 1 : rightChild[node]` until a leaf. It stops
 *   at the leaf, and going left costs no load, so the processor runs ahead on the branch it predicts; it suits
 *   trees whose leaves sit at very different depths (a trained random forest). The loop body is written out
 *   for BRANCHING_UNROLL levels, so each of those levels tests in its own branch instruction and the branch
 *   predictor learns the levels apart: 1.4 times faster than one loop on the benchmark's forest.
 * - lock-step: four trees side by side for as many steps as the deepest of them, each step branch-free
 *   (`node += 1 + (rightChild[node] − node − 1) · [x > threshold]`). The row is copied into a buffer whose extra
 *   last slots hold NaN, which fails every test, so a walk that reached its leaf stays there. No branch to
 *   mispredict and four independent chains of loads: about three times faster on isolation trees, whose random
 *   splits are a coin toss for the branch predictor and whose leaves are nearly all at the height limit.
 *
 * The forest picks its walk from its size and shape (LOCKSTEP_MIN_NODES below). Votes and per-tree outputs go
 * into buffers owned by the forest, so predicting a row allocates only its small result. When only the class is
 * wanted (`predictClass`), the branching walk stops as soon as one class holds more than half of the votes: the
 * trees not yet walked cannot change the answer.
 *
 * No code is generated from the model (the palette evaluates no code, issue #8): both walks only read numbers.
 *
 * Missing values (NaN) fail every test, so both walks send them right. A forest whose trees send some missing
 * values left (`missingLeft`, learnt in training) walks a row that has a NaN with a third, plain walk that reads
 * each split's direction; rows without NaN, and forests without such splits, never pay for it.
 */
import { AnyForest, BoostLink, boostOutputs, isPathLengthForest, isTreeForest, TreeForest } from './forest-format';
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

/** How the trees are walked (see the top of this file); `auto` picks by the trees' shape. */
export type ForestWalk = 'branching' | 'lockstep';

export interface CompileOptions {
  tieBreak?: VoteTieBreak;
  aggregate?: RegressionAggregate;
  /** Default `auto`. Both walks give identical answers; forcing one is for tests and benchmarks. */
  walk?: ForestWalk | 'auto';
}

/** Trees walked side by side in the lock-step walk (the unrolled loop below has this many chains). */
const LOCKSTEP_WIDTH = 4;
/**
 * When the lock-step walk is chosen. Measured on five forests (ml-random-forest's of 10 trees of depth ≤ 10, ours
 * of 20 trees of depth ≤ 10, 100 unlimited trees, 50 regression trees, an isolation forest): it was 1.6 to 3.4
 * times faster on all but the first, which is small and whose rows mostly stop at half its depth (0.7 times;
 * measured again after the branching walk was written out level by level).
 * Beyond LOCKSTEP_MIN_NODES (some 64 KB of nodes, more than a core's first-level cache) walks wait on memory and
 * four independent walks overlap those waits; below it the lock-step walk must not pad the trees to more than
 * LOCKSTEP_MAX_PADDING times the summed mean depth of their leaves.
 */
const LOCKSTEP_MIN_NODES = 4096;
const LOCKSTEP_MAX_PADDING = 1.5;
/**
 * Levels of the branching walk written out one after the other (deeper trees loop over them again). Twelve
 * covers the usual depth limits (10 in ml-random-forest's examples and the bench); measured on the benchmark's
 * forest: one level per loop turn 4.1 M rows/s, eight 5.9 M, twelve 6.8 M.
 */
const BRANCHING_UNROLL = 12;

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
      /** Population standard deviation of the trees' outputs (0 for a boosted forest, whose trees are not votes). */
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
  /** Most nodes one prediction visits: Σ over the trees of (depth + 1). */
  readonly visitsPerRow: number;
  /** Isolation forests: ψ, the rows each tree was grown on; null for other forests. */
  readonly sampleSize: number | null;
  readonly walk: ForestWalk;
  private readonly roots: Int32Array;
  /** Lock-step walk: the roots of each group of LOCKSTEP_WIDTH trees (padded with a spare leaf) and its depth. */
  private readonly groupRoots: Int32Array;
  private readonly groupDepth: Int32Array;
  /** Lock-step walk: the row, then NaN in every slot a leaf's feature can name. */
  private readonly walkRow: Float64Array;
  private readonly splitFeature: Int32Array;
  private readonly rightChild: Int32Array;
  private readonly thresholdOrValue: Float64Array;
  /** 1 where a split sends missing values left. */
  private readonly missingLeft: Uint8Array;
  /** Whether any split sends missing values left (else the fast walks already send every NaN the right way). */
  private readonly anyMissingLeft: boolean;
  private readonly votes: Int32Array;
  /** first-to-max tie-break: the votes counted again in tree order. */
  private readonly tally: Int32Array;
  /** Branching walk: the leaf each tree reached. */
  private readonly leaves: Int32Array;
  private readonly outputs: Float64Array;
  private readonly rowBuffer: Float64Array;
  /** Boosted forests (forest-format.ts BoostSpec): the link, the base margin per output, each tree's output. */
  readonly boostLink: BoostLink | null;
  private readonly boostBase: Float64Array;
  private readonly boostTreeClass: Int32Array;
  private readonly margins: Float64Array;
  /** Boosted forests: sums and links in float32, rounding after every step (XGBoost's arithmetic). */
  private readonly float32: boolean;
  /** Boosted forests with `average`: how many trees each output's leaves are averaged over (else null: summed). */
  private readonly treesPerOutput: Float64Array | null;

  constructor(forest: TreeForest, options: CompileOptions = {}) {
    this.task = forest.nClasses > 0 ? 'classification' : 'regression';
    this.nFeatures = forest.nFeatures;
    this.nClasses = forest.nClasses;
    this.nTrees = forest.trees.length;
    this.tieBreak = options.tieBreak ?? 'lowest-index';
    this.aggregate = options.aggregate ?? 'mean';
    this.sampleSize = isPathLengthForest(forest) ? (forest.sampleSize ?? null) : null;
    const boost = forest.boost;
    this.boostLink = boost?.link ?? null;
    const outputs = boost === undefined ? 0 : boostOutputs(forest);
    this.boostBase = Float64Array.from(boost?.base ?? []);
    if (this.boostBase.length !== outputs || !this.boostBase.every(Number.isFinite)) throw new Error(`a boosted forest needs ${outputs} finite base margin(s)`);
    this.boostTreeClass = new Int32Array(this.nTrees);
    if (boost?.treeClass !== undefined) {
      if (boost.treeClass.length !== this.nTrees) throw new Error(`boost.treeClass has ${boost.treeClass.length} entries for ${this.nTrees} trees`);
      boost.treeClass.forEach((k, t) => {
        if (!(Number.isInteger(k) && k >= 0 && k < outputs)) throw new Error(`boost.treeClass[${t}] is ${k}, not an output in [0, ${outputs})`);
        this.boostTreeClass[t] = k;
      });
    }
    this.margins = new Float64Array(Math.max(outputs, 1));
    this.float32 = boost?.float32 === true;
    this.treesPerOutput = null;
    if (boost?.average === true) {
      this.treesPerOutput = new Float64Array(Math.max(outputs, 1));
      for (let t = 0; t < this.nTrees; t++) this.treesPerOutput[this.boostTreeClass[t]]++;
    }
    // A boosted classifier's leaves are scores, not classes: they vote for class 0, a count nobody reads.
    const leafClasses = this.nClasses > 0 && boost === undefined;
    let capacity = 0;
    let largestTree = 0;
    for (const tree of forest.trees) {
      capacity += tree.feature.length;
      largestTree = Math.max(largestTree, tree.feature.length);
    }
    const nFeatures = this.nFeatures;
    // One spare leaf after the trees pads the last group of the lock-step walk.
    this.roots = new Int32Array(this.nTrees);
    this.splitFeature = new Int32Array(capacity + 1);
    this.rightChild = new Int32Array(capacity + 1);
    this.thresholdOrValue = new Float64Array(capacity + 1);
    this.missingLeft = new Uint8Array(capacity + 1);
    let anyMissingLeft = false;
    const treeDepth = new Int32Array(this.nTrees);
    // Σ over the trees of the mean depth of their leaves.
    let meanLeafDepths = 0;
    // Pending nodes as (original id, depth, slot of the split whose right child it is or -1 for a root or left child).
    const pending = new Int32Array(3 * (largestTree + 1));
    const reached = new Uint8Array(largestTree);
    let next = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const tree = forest.trees[t];
      reached.fill(0, 0, tree.feature.length);
      this.roots[t] = next;
      let leaves = 0;
      let leafDepths = 0;
      let top = 0;
      pending[top++] = 0;
      pending[top++] = 0;
      pending[top++] = -1;
      reached[0] = 1;
      while (top > 0) {
        const parent = pending[--top];
        const depth = pending[--top];
        const original = pending[--top];
        const slot = next++;
        if (parent >= 0) this.rightChild[parent] = slot;
        const left = tree.left[original];
        if (left === -1) {
          const value = tree.value[original];
          if (leafClasses && !(Number.isInteger(value) && value >= 0 && value < this.nClasses)) {
            throw new Error(`tree ${t}: leaf ${original} holds ${value}, not a class index in [0, ${this.nClasses})`);
          }
          // A leaf that is not finite would make every prediction through it Infinity or NaN (issue #14.16).
          if (!Number.isFinite(value)) throw new Error(`tree ${t}: leaf ${original} holds ${value}, not a finite number`);
          this.splitFeature[slot] = nFeatures + (leafClasses ? value : 0);
          this.rightChild[slot] = slot;
          this.thresholdOrValue[slot] = value;
          treeDepth[t] = Math.max(treeDepth[t], depth);
          leaves++;
          leafDepths += depth;
          continue;
        }
        const right = tree.right[original];
        if (reached[left] === 1 || reached[right] === 1) {
          throw new Error(`tree ${t}: node ${original} leads to a node reached twice`);
        }
        const feature = tree.feature[original];
        if (!(Number.isInteger(feature) && feature >= 0 && feature < nFeatures)) {
          throw new Error(`tree ${t}: node ${original} splits on feature ${feature}, outside [0, ${nFeatures})`);
        }
        reached[left] = reached[right] = 1;
        this.splitFeature[slot] = feature;
        this.thresholdOrValue[slot] = tree.threshold[original];
        if (tree.missingLeft !== undefined && tree.missingLeft[original] === 1) {
          this.missingLeft[slot] = 1;
          anyMissingLeft = true;
        }
        // The left child is popped first, so it takes slot + 1.
        pending[top++] = right;
        pending[top++] = depth + 1;
        pending[top++] = slot;
        pending[top++] = left;
        pending[top++] = depth + 1;
        pending[top++] = -1;
      }
      meanLeafDepths += leafDepths / leaves;
    }
    this.nodeCount = next;
    this.anyMissingLeft = anyMissingLeft;
    this.visitsPerRow = treeDepth.reduce((sum, depth) => sum + depth + 1, 0);
    const spareLeaf = next;
    this.splitFeature[spareLeaf] = nFeatures;
    this.rightChild[spareLeaf] = spareLeaf;

    const groups = Math.ceil(this.nTrees / LOCKSTEP_WIDTH);
    this.groupRoots = new Int32Array(groups * LOCKSTEP_WIDTH).fill(spareLeaf);
    this.groupRoots.set(this.roots);
    this.groupDepth = new Int32Array(groups);
    let lockstepSteps = 0;
    for (let g = 0; g < groups; g++) {
      for (let t = g * LOCKSTEP_WIDTH; t < Math.min(this.nTrees, (g + 1) * LOCKSTEP_WIDTH); t++) this.groupDepth[g] = Math.max(this.groupDepth[g], treeDepth[t]);
      lockstepSteps += LOCKSTEP_WIDTH * this.groupDepth[g];
    }
    const walk = options.walk ?? 'auto';
    const lockstepPays = this.nodeCount > LOCKSTEP_MIN_NODES || lockstepSteps <= LOCKSTEP_MAX_PADDING * meanLeafDepths;
    this.walk = walk !== 'auto' ? walk : lockstepPays ? 'lockstep' : 'branching';
    this.walkRow = new Float64Array(nFeatures + Math.max(this.nClasses, 1)).fill(NaN);
    this.votes = new Int32Array(Math.max(this.nClasses, 1));
    this.tally = new Int32Array(Math.max(this.nClasses, 1));
    this.leaves = new Int32Array(this.nTrees);
    this.outputs = new Float64Array(this.nTrees);
    this.rowBuffer = new Float64Array(this.nFeatures);
  }

  /** Writes each tree's leaf output (class index or value) for `row` into `out` and returns it. */
  treeOutputs(row: Float64Array, out: Float64Array = this.outputs): Float64Array {
    this.checkRow(row);
    const missing = this.needsMissingWalk(row);
    if (this.walk === 'lockstep' && !missing) return this.lockstepOutputs(row, out);
    if (missing) this.missingWalk(row);
    else this.branchingWalk(row, this.nTrees + 1);
    const leaves = this.leaves;
    const threshold = this.thresholdOrValue;
    for (let t = 0; t < this.nTrees; t++) out[t] = threshold[leaves[t]];
    return out;
  }

  /**
   * The branching walk: the leaf of each tree in turn into `leaves`, and its class's vote into `votes` (a regression
   * leaf counts for class 0: a count nobody reads, cheaper than a test). Stops once a class has `decisive` votes.
   * Returns how many trees it walked.
   */
  private branchingWalk(row: Float64Array, decisive: number): number {
    const feature = this.splitFeature;
    const right = this.rightChild;
    const threshold = this.thresholdOrValue;
    const roots = this.roots;
    const leaves = this.leaves;
    const votes = this.votes;
    const nFeatures = this.nFeatures;
    const nTrees = this.nTrees;
    for (let c = 0; c < votes.length; c++) votes[c] = 0;
    for (let t = 0; t < nTrees; t++) {
      let node = roots[t];
      let f = feature[node];
      // BRANCHING_UNROLL copies of one level: a leaf names a feature >= nFeatures; NaN fails the test, so it goes right.
      for (;;) {
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
        if (f >= nFeatures) break;
        node = row[f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
      }
      leaves[t] = node;
      if (++votes[f - nFeatures] >= decisive) return t + 1;
    }
    return nTrees;
  }

  /** Whether `row` must take the missing-value walk: it has a NaN and some split sends NaN left. */
  private needsMissingWalk(row: Float64Array): boolean {
    if (!this.anyMissingLeft) return false;
    for (let f = 0; f < this.nFeatures; f++) if (row[f] !== row[f]) return true;
    return false;
  }

  /** The plain walk for a row with missing values: leaves into `leaves`, votes into `votes`, every tree. */
  private missingWalk(row: Float64Array): void {
    const feature = this.splitFeature;
    const right = this.rightChild;
    const threshold = this.thresholdOrValue;
    const missingLeft = this.missingLeft;
    const votes = this.votes;
    const nFeatures = this.nFeatures;
    for (let c = 0; c < votes.length; c++) votes[c] = 0;
    for (let t = 0; t < this.nTrees; t++) {
      let node = this.roots[t];
      let f = feature[node];
      while (f < nFeatures) {
        const x = row[f];
        const goLeft = x !== x ? missingLeft[node] === 1 : x <= threshold[node];
        node = goLeft ? node + 1 : right[node];
        f = feature[node];
      }
      this.leaves[t] = node;
      votes[f - nFeatures]++;
    }
  }

  private lockstepOutputs(row: Float64Array, out: Float64Array): Float64Array {
    const x = this.walkRow;
    for (let f = 0; f < this.nFeatures; f++) x[f] = row[f];
    const feature = this.splitFeature;
    const right = this.rightChild;
    const threshold = this.thresholdOrValue;
    const roots = this.groupRoots;
    const depths = this.groupDepth;
    const nTrees = this.nTrees;
    for (let g = 0, t = 0; g < depths.length; g++, t += LOCKSTEP_WIDTH) {
      let a = roots[t];
      let b = roots[t + 1];
      let c = roots[t + 2];
      let d = roots[t + 3];
      // A step right adds rightChild − node − 1, a step left adds nothing; NaN (a leaf's feature slot, or a
      // missing value) fails the test and goes right, and a leaf is its own right child.
      for (let level = depths[g]; level > 0; level--) {
        a += 1 + (right[a] - a - 1) * +!(x[feature[a]] <= threshold[a]);
        b += 1 + (right[b] - b - 1) * +!(x[feature[b]] <= threshold[b]);
        c += 1 + (right[c] - c - 1) * +!(x[feature[c]] <= threshold[c]);
        d += 1 + (right[d] - d - 1) * +!(x[feature[d]] <= threshold[d]);
      }
      out[t] = threshold[a];
      if (t + 1 < nTrees) out[t + 1] = threshold[b];
      if (t + 2 < nTrees) out[t + 2] = threshold[c];
      if (t + 3 < nTrees) out[t + 3] = threshold[d];
    }
    return out;
  }

  /** Counts the trees' votes for `row` into `votes` (length nClasses) and returns the winning class. */
  countVotes(row: Float64Array, votes: Int32Array = this.votes): number {
    this.requireClassification('countVotes');
    if (this.boostLink !== null) throw new Error('countVotes needs a forest of votes, not a boosted one');
    this.checkRow(row);
    if (this.needsMissingWalk(row)) {
      this.missingWalk(row);
      if (votes !== this.votes) votes.set(this.votes);
      return this.winner(votes, null);
    }
    if (this.walk === 'lockstep') {
      const outputs = this.lockstepOutputs(row, this.outputs);
      votes.fill(0, 0, this.nClasses);
      for (let t = 0; t < this.nTrees; t++) votes[outputs[t]]++;
      return this.winner(votes, outputs);
    }
    this.branchingWalk(row, this.nTrees + 1);
    if (votes !== this.votes) votes.set(this.votes);
    return this.winner(votes, null);
  }

  /**
   * The class alone (what ml-random-forest's `predict()` answers): countVotes's winner, found by walking trees
   * only until one class holds more than half of the votes. Such a class wins whatever the other trees say and
   * under either tie-break, so the answer is always countVotes's; `votes` is left partly counted.
   */
  predictClass(row: Float64Array): number {
    this.requireClassification('predictClass');
    this.checkRow(row);
    if (this.boostLink !== null) return this.boostedClass(this.boostedMargins(row));
    if (this.walk === 'lockstep' || this.needsMissingWalk(row)) return this.countVotes(row);
    const walked = this.branchingWalk(row, (this.nTrees >> 1) + 1);
    if (walked < this.nTrees) return this.splitFeature[this.leaves[walked - 1]] - this.nFeatures;
    return this.winner(this.votes, null);
  }

  /**
   * The winning class of counted `votes`. For the first-to-max tie-break it reads each tree's class in tree order
   * from `outputs`, or from the leaves of the last branching walk when that is null.
   */
  private winner(votes: Int32Array, outputs: Float64Array | null): number {
    let winner = 0;
    let tied = false;
    for (let c = 1; c < this.nClasses; c++) {
      if (votes[c] > votes[winner]) {
        winner = c;
        tied = false;
      } else if (votes[c] === votes[winner]) {
        tied = true;
      }
    }
    if (!tied || this.tieBreak === 'lowest-index') return winner;
    // first-to-max with a tie for the most votes: the class that reached that count first, in tree order.
    const counts = this.tally;
    counts.fill(0);
    const most = votes[winner];
    for (let t = 0; t < this.nTrees; t++) {
      const vote = outputs !== null ? outputs[t] : this.splitFeature[this.leaves[t]] - this.nFeatures;
      if (++counts[vote] === most) return vote;
    }
    return winner;
  }

  private requireClassification(method: string): void {
    if (this.task !== 'classification') throw new Error(`${method} needs a classification forest`);
  }

  /** Predicts one row of nFeatures values (in the model's feature order). */
  predictRow(row: Float64Array): ForestPrediction {
    if (this.boostLink !== null) return this.predictBoosted(row);
    if (this.task === 'classification') {
      const winner = this.countVotes(row);
      const probabilities: number[] = new Array<number>(this.nClasses);
      for (let c = 0; c < this.nClasses; c++) probabilities[c] = this.votes[c] / this.nTrees;
      return { task: 'classification', classIndex: winner, confidence: probabilities[winner], probabilities };
    }
    const outputs = this.treeOutputs(row);
    const n = this.nTrees;
    const mean = finiteMean(outputs, n);
    let squares = 0;
    for (let t = 0; t < n; t++) squares += (outputs[t] - mean) * (outputs[t] - mean);
    const spread = squares < Infinity ? Math.sqrt(squares / n) : scaledSpread(outputs, n, mean);
    const value = this.aggregate === 'mean' ? mean : lowerMedian(outputs);
    return { task: 'regression', value, spread, confidence: 1 };
  }

  /**
   * Regression: predictRow's prediction and, from the same walk, the `fractions` (each in [0, 1]) quantiles of the
   * trees' outputs, interpolated linearly between the sorted outputs (numpy's default). predictRow stays as it is:
   * only a caller that wants the quantiles pays for the sort.
   */
  predictRowWithQuantiles(row: Float64Array, fractions: readonly number[]): { prediction: Extract<ForestPrediction, { task: 'regression' }>; quantiles: number[] } {
    if (this.task !== 'regression') throw new Error('predictRowWithQuantiles needs a regression forest');
    if (this.boostLink !== null) throw new Error('a boosted forest has no quantiles: its trees add up, they are not votes');
    for (const fraction of fractions) if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`a quantile fraction must be in [0, 1] (got ${fraction})`);
    const prediction = this.predictRow(row) as Extract<ForestPrediction, { task: 'regression' }>;
    // predictRow left every tree's output in this.outputs (maybe sorted already, for the median).
    const sorted = this.outputs.sort();
    const last = this.nTrees - 1;
    const quantiles = fractions.map((fraction) => {
      const position = fraction * last;
      const below = Math.floor(position);
      const above = Math.min(below + 1, last);
      return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    });
    return { prediction, quantiles };
  }

  /**
   * Boosted forests: the margin of each output for `row` (base + the leaves of that output's trees, summed in tree
   * order) into `out` (length: the outputs) and returns it. The same walks as every forest (treeOutputs).
   */
  boostedMargins(row: Float64Array, out: Float64Array = this.margins): Float64Array {
    if (this.boostLink === null) throw new Error('boostedMargins needs a boosted forest');
    const outputs = this.treeOutputs(row);
    const treeClass = this.boostTreeClass;
    const counts = this.treesPerOutput;
    if (counts !== null) {
      // A forest's mean, as scikit-learn computes it: the sum in tree order, divided by the trees, then the base.
      out.fill(0);
      for (let t = 0; t < this.nTrees; t++) out[treeClass[t]] += outputs[t];
      for (let k = 0; k < out.length; k++) out[k] = this.boostBase[k] + out[k] / counts[k];
      return out;
    }
    out.set(this.boostBase);
    if (this.float32) for (let t = 0; t < this.nTrees; t++) out[treeClass[t]] = Math.fround(out[treeClass[t]] + outputs[t]);
    else for (let t = 0; t < this.nTrees; t++) out[treeClass[t]] += outputs[t];
    return out;
  }

  /**
   * The class a boosted classifier answers for its margins: logistic, class 1 when p > 0.5 (margin > 0); identity
   * with one output, class 1 when its probability is above class 0's; else the first largest margin.
   */
  private boostedClass(margins: Float64Array): number {
    if (this.boostLink === 'logistic') return this.logistic(margins[0]) > 0.5 ? 1 : 0;
    if (margins.length === 1) return margins[0] > 1 - margins[0] ? 1 : 0;
    let best = 0;
    for (let k = 1; k < margins.length; k++) if (margins[k] > margins[best]) best = k;
    return best;
  }

  /** The logistic link, in float32 steps (1.0f / (1.0f + expf(−x))) when the forest says so. */
  private logistic(x: number): number {
    if (!this.float32) return logistic(x);
    return Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-x))));
  }

  private predictBoosted(row: Float64Array): ForestPrediction {
    const margins = this.boostedMargins(row);
    if (this.task === 'regression') {
      const value = this.boostLink === 'logistic' ? this.logistic(margins[0]) : margins[0];
      return { task: 'regression', value, spread: 0, confidence: 1 };
    }
    const classIndex = this.boostedClass(margins);
    let probabilities: number[];
    const round = this.float32 ? Math.fround : (x: number): number => x;
    if (this.boostLink === 'logistic') {
      const p = this.logistic(margins[0]);
      probabilities = [round(1 - p), p];
    } else if (this.boostLink === 'identity') {
      // The margins are the probabilities (a forest's averaged leaf fractions): one per class, or class 1's of 2.
      probabilities = margins.length === 1 ? [round(1 - margins[0]), margins[0]] : Array.from(margins);
    } else {
      // Softmax shifted by the largest margin, so no exponential overflows (XGBoost's order of operations).
      let most = margins[0];
      for (let k = 1; k < margins.length; k++) most = Math.max(most, margins[k]);
      let sum = 0;
      probabilities = new Array<number>(margins.length);
      for (let k = 0; k < margins.length; k++) sum = round(sum + (probabilities[k] = round(Math.exp(round(margins[k] - most)))));
      for (let k = 0; k < margins.length; k++) probabilities[k] = round(probabilities[k] / sum);
    }
    return { task: 'classification', classIndex, confidence: probabilities[classIndex], probabilities };
  }

  /** Isolation forests: the mean over the trees of the path length of the leaf `row` reaches. */
  meanPathLength(row: Float64Array): number {
    return finiteMean(this.treeOutputs(row), this.nTrees);
  }

  /** Isolation forests: the anomaly score 2^(−E[h(x)] / c(ψ)) in (0, 1]; higher is stranger. */
  anomalyScore(row: Float64Array): number {
    if (this.sampleSize === null) throw new Error('anomalyScore needs an isolation forest (output "path-length")');
    return isolationScore(this.meanPathLength(row), this.sampleSize);
  }

  /** Isolation forests: the anomaly scores of several rows into `into` (a new array by default), as anomalyScore gives them. */
  anomalyScores(rows: readonly Float64Array[], into: Float64Array = new Float64Array(rows.length)): Float64Array {
    if (this.sampleSize === null) throw new Error('anomalyScores needs an isolation forest (output "path-length")');
    if (into.length < rows.length) throw new RangeError(`room for ${into.length} scores, ${rows.length} rows`);
    for (let r = 0; r < rows.length; r++) into[r] = isolationScore(this.meanPathLength(rows[r]), this.sampleSize);
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

/** 1 / (1 + e^−x), the logistic link. */
export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * 2^-600: leaves times this cannot overflow when summed or squared (|leaf| ≤ 1.8e308 becomes ≤ 4.3e127), and
 * scaling by a power of two changes no digit of a double that stays normal.
 */
const SHRINK = 2 ** -600;

/**
 * The mean of the first `n` finite `values`: summed in tree order and divided once, exactly as ml-random-forest's
 * mean does, unless that sum overflows (leaves near ±1.8e308, issue #14.16); then summed scaled down by SHRINK,
 * which gives a finite mean between the smallest and the largest value.
 */
function finiteMean(values: Float64Array, n: number): number {
  let sum = 0;
  for (let t = 0; t < n; t++) sum += values[t];
  if (sum < Infinity && sum > -Infinity) return sum / n;
  let scaled = 0;
  for (let t = 0; t < n; t++) scaled += values[t] * SHRINK;
  return clampFinite(scaled / n / SHRINK);
}

/** The population standard deviation when the plain sum of squares overflowed: at most (max − min) / 2, so finite. */
function scaledSpread(values: Float64Array, n: number, mean: number): number {
  const shrunkMean = mean * SHRINK;
  let squares = 0;
  for (let t = 0; t < n; t++) {
    const deviation = values[t] * SHRINK - shrunkMean;
    squares += deviation * deviation;
  }
  return clampFinite(Math.sqrt(squares / n) / SHRINK);
}

/** Rounding at the very edge of the doubles may step one ulp past the largest finite one. */
function clampFinite(x: number): number {
  return Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, x));
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
