/**
 * XGBoost's own JSON model (`booster.save_model("model.json")`, XGBoost 1.x and 2.x) as a boosted forest of the
 * package's own form (forest-format.ts BoostSpec), predicting what XGBoost's `predict()` does:
 *
 * - objectives `reg:squarederror` (link identity), `reg:logistic` (logistic), `binary:logistic` (two classes,
 *   logistic), `multi:softprob` and `multi:softmax` (softmax; each tree adds to the class `tree_info` names);
 * - a split goes left when float32(x) < its float32 condition: written as the double threshold that splits every
 *   double alike (float32.ts); leaf values and the base score are float32 too;
 * - `default_left` becomes `missingLeft` (where a missing value goes), `sum_hessian` the node covers;
 * - the base margin is `base_score` (identity, softmax) or its logit (logistic), as XGBoost's ProbToMargin.
 *
 * Refused by name: boosters other than gbtree (dart, gblinear), other objectives, categorical splits, vector
 * leaves (multi-target trees), the binary UBJSON form.
 */
import { BoostSpec, Tree, TREES_KIND, TreeForest } from '../forest/forest-format';
import { float32LessThanAsDoubleLessEqual } from './float32';
import { ConvertedForest, ConvertResult, converting, ImportError, isObject } from './converted';

export const XGBOOST_OBJECTIVES = ['reg:squarederror', 'reg:logistic', 'binary:logistic', 'multi:softprob', 'multi:softmax'] as const;
export type XgboostObjective = (typeof XGBOOST_OBJECTIVES)[number];

/** Whether parsed JSON looks like an XGBoost model (it has a `learner`). */
export function looksLikeXgboostJson(data: unknown): boolean {
  return isObject(data) && isObject(data.learner);
}

/** XGBoost writes numbers of its parameters as strings ("5E-1"); JSON numbers are taken too. */
function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
}

function numbers(value: unknown, where: string): number[] {
  if (!Array.isArray(value)) throw new ImportError(`${where} is not an array`);
  return value.map((v, i) => {
    const n = typeof v === 'boolean' ? Number(v) : numberOf(v);
    if (!Number.isFinite(n)) throw new ImportError(`${where}[${i}] is not a finite number`);
    return n;
  });
}

/** Converts parsed XGBoost JSON. Never throws. */
export function convertXgboost(data: unknown): ConvertResult {
  return converting('XGBoost model', () => convert(data));
}

function convert(data: unknown): ConvertedForest {
  if (!looksLikeXgboostJson(data)) throw new ImportError('no "learner" object: not a model XGBoost saved as JSON');
  const root = data as Record<string, unknown>;
  const learner = root.learner as Record<string, unknown>;
  const objective = isObject(learner.objective) ? learner.objective.name : undefined;
  if (typeof objective !== 'string') throw new ImportError('learner.objective.name is missing');
  if (!(XGBOOST_OBJECTIVES as readonly string[]).includes(objective)) {
    throw new ImportError(`objective "${objective}" is not supported (supported: ${XGBOOST_OBJECTIVES.join(', ')})`);
  }
  const booster = isObject(learner.gradient_booster) ? learner.gradient_booster : undefined;
  const boosterName = booster?.name;
  if (boosterName === 'dart') throw new ImportError('booster "dart" is not supported: it scales and drops trees in ways the file does not make exact here; train with booster "gbtree"');
  if (boosterName === 'gblinear') throw new ImportError('booster "gblinear" is a linear model, not trees: not supported; train with booster "gbtree"');
  if (boosterName !== 'gbtree' || !isObject(booster?.model)) throw new ImportError(`booster ${JSON.stringify(boosterName)} is not supported (only "gbtree")`);
  const model = booster.model as Record<string, unknown>;
  const param = isObject(learner.learner_model_param) ? learner.learner_model_param : {};
  const nFeatures = numberOf(param.num_feature);
  if (!(Number.isInteger(nFeatures) && nFeatures >= 1)) throw new ImportError('learner_model_param.num_feature is not a positive integer');
  const numTarget = param.num_target === undefined ? 1 : numberOf(param.num_target);
  if (numTarget !== 1) throw new ImportError(`num_target ${String(param.num_target)}: multi-target models are not supported`);
  const featureTypes = Array.isArray(learner.feature_types) ? learner.feature_types : [];
  const categorical = featureTypes.findIndex((type) => type === 'c');
  if (categorical !== -1) throw new ImportError(`feature ${categorical} is categorical (feature_types "c"): categorical splits are not supported; one-hot encode it instead`);

  const multi = objective.startsWith('multi:');
  const nClasses = multi ? numberOf(param.num_class) : objective === 'binary:logistic' ? 2 : 0;
  if (multi && !(Number.isInteger(nClasses) && nClasses >= 2)) throw new ImportError(`num_class ${String(param.num_class)} is not an integer >= 2`);
  const outputs = multi ? nClasses : 1;

  const rawTrees = model.trees;
  if (!Array.isArray(rawTrees) || rawTrees.length === 0) throw new ImportError('the booster has no trees');
  const treeInfo = model.tree_info === undefined ? new Array<number>(rawTrees.length).fill(0) : numbers(model.tree_info, 'tree_info');
  if (treeInfo.length !== rawTrees.length) throw new ImportError(`tree_info has ${treeInfo.length} entries for ${rawTrees.length} trees`);
  const badClass = treeInfo.findIndex((k) => !(Number.isInteger(k) && k >= 0 && k < outputs));
  if (badClass !== -1) throw new ImportError(`tree_info[${badClass}] is ${treeInfo[badClass]}, not an output in [0, ${outputs})`);

  const trees = rawTrees.map((raw, t) => convertTree(raw, t, nFeatures));

  const baseScores = baseScoresOf(param.base_score, outputs);
  const logistic = objective === 'reg:logistic' || objective === 'binary:logistic';
  const baseMargins = baseScores.map((baseScore) => {
    if (!logistic) return baseScore;
    if (!(baseScore > 0 && baseScore < 1)) throw new ImportError(`base_score ${baseScore} must lie in (0, 1) for objective "${objective}"`);
    // XGBoost's ProbToMargin, in float32 as it computes it: −log(1 / p − 1).
    return Math.fround(-Math.log(Math.fround(Math.fround(1 / baseScore) - 1)));
  });
  // XGBoost sums and links in float32: so does the converted forest (BoostSpec.float32).
  const boost: BoostSpec = multi
    ? { link: 'softmax', base: baseMargins, treeClass: treeInfo, float32: true }
    : { link: logistic ? 'logistic' : 'identity', base: baseMargins, float32: true };

  const names = Array.isArray(learner.feature_names) && learner.feature_names.length > 0 ? learner.feature_names : null;
  if (names !== null && (names.length !== nFeatures || !names.every((n) => typeof n === 'string' && n !== ''))) {
    throw new ImportError(`feature_names has ${names.length} entries but the model has ${nFeatures} features`);
  }
  const version = Array.isArray(root.version) ? root.version.join('.') : undefined;
  const attributes = isObject(learner.attributes) ? learner.attributes : {};
  const bestIteration = attributes.best_iteration === undefined ? undefined : numberOf(attributes.best_iteration);
  return {
    task: nClasses > 0 ? 'classification' : 'regression',
    forest: { kind: TREES_KIND, nFeatures, nClasses, boost, trees },
    featureNames: names as string[] | null,
    nClasses,
    source: {
      library: 'xgboost',
      ...(version === undefined ? {} : { libraryVersion: version }),
      objective: objective as XgboostObjective,
      trees: trees.length,
      ...(Number.isInteger(bestIteration) ? { bestIteration } : {}),
    },
  };
}

/**
 * `base_score` as float32, one per output: XGBoost 1.x and 2.0 write one number as a string ("5E-1"); later
 * versions may write a list ("[5E-1]", or one per class), which is read the same way.
 */
function baseScoresOf(raw: unknown, outputs: number): number[] {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const list = typeof text === 'string' && text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1).split(',') : Array.isArray(text) ? text : [text];
  const scores = list.map((item) => Math.fround(numberOf(typeof item === 'string' ? item.trim() : item)));
  if (scores.length === 0 || !scores.every(Number.isFinite)) throw new ImportError(`learner_model_param.base_score ${JSON.stringify(raw)} is not a number`);
  if (scores.length === 1) return new Array<number>(outputs).fill(scores[0]);
  if (scores.length !== outputs) throw new ImportError(`learner_model_param.base_score has ${scores.length} entries for ${outputs} outputs`);
  return scores;
}

function convertTree(raw: unknown, t: number, nFeatures: number): Tree {
  const where = `trees[${t}]`;
  if (!isObject(raw)) throw new ImportError(`${where} is not an object`);
  const param = isObject(raw.tree_param) ? raw.tree_param : {};
  const leafVector = param.size_leaf_vector === undefined ? 0 : numberOf(param.size_leaf_vector);
  if (leafVector > 1) throw new ImportError(`${where} has vector leaves (size_leaf_vector ${leafVector}, multi_strategy "multi_output_tree"): not supported`);
  const left = numbers(raw.left_children, `${where}.left_children`);
  const right = numbers(raw.right_children, `${where}.right_children`);
  const indices = numbers(raw.split_indices, `${where}.split_indices`);
  const conditions = numbers(raw.split_conditions, `${where}.split_conditions`);
  const defaultLeft = numbers(raw.default_left, `${where}.default_left`);
  const hessian = raw.sum_hessian === undefined ? null : numbers(raw.sum_hessian, `${where}.sum_hessian`);
  const splitType = raw.split_type === undefined ? [] : numbers(raw.split_type, `${where}.split_type`);
  const size = left.length;
  if (size === 0) throw new ImportError(`${where} has no nodes`);
  for (const [name, list] of [['right_children', right], ['split_indices', indices], ['split_conditions', conditions], ['default_left', defaultLeft]] as const) {
    if (list.length !== size) throw new ImportError(`${where}.${name} has ${list.length} entries but left_children has ${size}`);
  }
  if (hessian !== null && hessian.length !== size) throw new ImportError(`${where}.sum_hessian has ${hessian.length} entries but left_children has ${size}`);
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], missingLeft: [], ...(hessian === null ? {} : { cover: [] }) };
  for (let i = 0; i < size; i++) {
    const isLeaf = left[i] === -1;
    if (!isLeaf && (splitType[i] ?? 0) !== 0) {
      throw new ImportError(`${where} node ${i} is a categorical split (enable_categorical): categorical splits are not supported; one-hot encode the feature instead`);
    }
    if (!isLeaf && !(Number.isInteger(indices[i]) && indices[i] >= 0 && indices[i] < nFeatures)) {
      throw new ImportError(`${where} node ${i} splits on feature ${indices[i]}, outside [0, ${nFeatures})`);
    }
    tree.feature.push(isLeaf ? -1 : indices[i]);
    tree.threshold.push(isLeaf ? 0 : float32LessThanAsDoubleLessEqual(conditions[i]));
    tree.left.push(isLeaf ? -1 : left[i]);
    tree.right.push(isLeaf ? -1 : right[i]);
    tree.value.push(isLeaf ? Math.fround(conditions[i]) : 0);
    (tree.missingLeft as number[]).push(isLeaf ? 0 : defaultLeft[i] === 0 ? 0 : 1);
    if (hessian !== null) (tree.cover as number[]).push(Math.max(0, Math.fround(hessian[i])));
  }
  return tree;
}
