/**
 * Import of ml-random-forest's `toJSON()` output (classifier and regression), reproducing its `predict()`:
 *
 * - an estimator sees the feature columns `baseModel.indexes[t]`, so its `splitColumn` c means feature
 *   `indexes[t][c]` (indexes may repeat a feature when it sampled features with replacement);
 * - ml-cart goes left when `x < splitValue`; ours goes left when `x <= threshold`. For doubles, `x < v` is
 *   exactly `x <= nextDown(v)` (the largest double below v), so thresholds convert without changing any answer;
 * - a classifier leaf predicts the first class of largest fraction in its distribution (ml-matrix's
 *   `maxRowIndex`);
 * - the forest's class is ml-array-mode of the tree predictions: the class whose count first reaches the final
 *   maximum, in tree order (not the lowest index) — hence the `first-to-max` tie-break;
 * - regression averages with ml-array-mean (sum in tree order, then divide), or ml-array-median (lower median)
 *   when `selectionMethod` is `median`.
 *
 * (ml-random-forest's `predictProbability` starts its reduce without an initial value, so it miscounts the first
 * tree's vote; we count votes ourselves instead.)
 */
import { addTreeNode, emptyTree, leafFractions, MlCartNode, MlRandomForestJson, TREES_KIND, TreeForest } from './forest-format';
import type { RegressionAggregate, VoteTieBreak } from './compiled-forest';

export interface ImportedForest {
  forest: TreeForest;
  tieBreak: VoteTieBreak;
  aggregate: RegressionAggregate;
}

const bits = new Float64Array(1);
const bitsAsInteger = new BigInt64Array(bits.buffer);

/** The largest double strictly below `v` (so `x < v` ⇔ `x <= nextDown(v)`); NaN when none exists. */
export function nextDown(v: number): number {
  if (Number.isNaN(v) || v === -Infinity) return NaN;
  if (v === 0) return -Number.MIN_VALUE;
  bits[0] = v;
  bitsAsInteger[0] += v > 0 ? -1n : 1n;
  return bits[0];
}

/** What ml-random-forest's JSON does not record: the model's feature and class counts. */
export interface ForestShape {
  nFeatures?: number;
  nClasses?: number;
}

/** Converts to the package's own tree form plus the voting rules that keep ml-random-forest's answers. */
export function mlRandomForestToTrees(json: MlRandomForestJson, shape: ForestShape = {}): ImportedForest {
  const base = json.baseModel;
  const isClassifier = json.name === 'RFClassifier';
  let nFeatures = shape.nFeatures ?? 1;
  for (const columns of base.indexes) for (const column of columns) nFeatures = Math.max(nFeatures, column + 1);
  let largestClass = 0;
  const trees = base.estimators.map((estimator, t) => {
    const columns = base.indexes[t];
    const tree = emptyTree();
    // Explicit stack of [node, its id]: ids are given in pre-order as nodes are created.
    const addNode = (): number => addTreeNode(tree);
    const pending: Array<[MlCartNode, number]> = [[estimator.root, addNode()]];
    while (pending.length > 0) {
      const [node, id] = pending.pop() as [MlCartNode, number];
      if (node.distribution !== undefined) {
        if (isClassifier) {
          const fractions = leafFractions(node.distribution);
          if (fractions === null || fractions.length === 0) throw new Error(`estimator ${t}: a classifier leaf has no class distribution`);
          let best = 0;
          for (let c = 1; c < fractions.length; c++) if (fractions[c] > fractions[best]) best = c;
          tree.value[id] = best;
          largestClass = Math.max(largestClass, best);
        } else {
          tree.value[id] = node.distribution as number;
        }
        continue;
      }
      tree.feature[id] = columns[node.splitColumn as number];
      tree.threshold[id] = nextDown(node.splitValue as number);
      const leftId = addNode();
      const rightId = addNode();
      tree.left[id] = leftId;
      tree.right[id] = rightId;
      pending.push([node.right as MlCartNode, rightId], [node.left as MlCartNode, leftId]);
    }
    return tree;
  });
  return {
    forest: {
      kind: TREES_KIND,
      nFeatures,
      nClasses: isClassifier ? Math.max(shape.nClasses ?? 0, largestClass + 1) : 0,
      trees,
    },
    tieBreak: 'first-to-max',
    aggregate: json.selectionMethod === 'median' ? 'median' : 'mean',
  };
}
