/**
 * LightGBM models as boosted forests of the package's own form (forest-format.ts BoostSpec), predicting what
 * LightGBM's `predict()` does. Two files are read, both as LightGBM 2.x–4.x write them (model version v2–v4):
 *
 * - the text model, `booster.save_model("model.txt")` (`tree` / `version=v4` / … / `Tree=0` … `end of trees`);
 * - the JSON dump, `json.dump(booster.dump_model(), f)` (`tree_info` holding nested `tree_structure`s).
 *
 * Objectives: `regression`, `regression_l1`, `huber`, `fair`, `quantile`, `mape` (link identity); `binary`
 * (logistic, its `sigmoid:` scale folded into the leaves); `multiclass` (softmax, tree t adds to class
 * t mod num_tree_per_iteration). `average_output` (boosting "rf") averages each class's trees.
 *
 * Splits are LightGBM's Tree::Decision on a row as its predictor hands it over (c_api: |x| ≤ kZeroThreshold, the
 * float 1e-35f, is read as 0):
 * - numerical, `x <= threshold`, in doubles, with decision_type's missing type: None (a NaN is read as 0), Zero
 *   (NaN and |x| ≤ 1e-35f take the default direction) or NaN (NaN takes the default direction);
 * - categorical (decision_type bit 1): the integer part of x in the split's cat_threshold bitset goes left; NaN,
 *   negatives and categories past the bitset go right.
 * Each split becomes the intervals of x it sends left and right (with where NaN goes). One interval each is one of
 * our splits (`x <= T`, missingLeft). More (a categorical set, a zero that goes against its side) become a small
 * tree of our splits whose leaves are copies of LightGBM's subtrees: exact, but larger, and without covers
 * (explanations then say so), since LightGBM does not record how many rows each interval held.
 *
 * Refused by name: linear trees (`linear_tree`), objectives with another link (poisson, gamma, tweedie:
 * exp; cross_entropy; multiclassova; regression sqrt), ranking objectives, custom objectives (no `objective`).
 */
import { BoostSpec, Tree, TREES_KIND } from '../forest/forest-format';
import { previousDouble } from './float32';
import { ConvertedForest, ConvertResult, converting, ImportError, isObject } from './converted';

/** LightGBM's kZeroThreshold (include/LightGBM/meta.h: `const double kZeroThreshold = 1e-35f;`). */
export const LIGHTGBM_ZERO = Math.fround(1e-35);
/** decision_type bits (include/LightGBM/tree.h). */
const CATEGORICAL_MASK = 1;
const DEFAULT_LEFT_MASK = 2;
const MISSING_NONE = 0;
const MISSING_ZERO = 1;
const MISSING_NAN = 2;

export const LIGHTGBM_REGRESSION_OBJECTIVES = ['regression', 'regression_l1', 'huber', 'fair', 'quantile', 'mape'] as const;
export const LIGHTGBM_OBJECTIVES = [...LIGHTGBM_REGRESSION_OBJECTIVES, 'binary', 'multiclass'] as const;
/** Past this many nodes after expanding categorical and zero-as-missing splits the import is refused. */
export const LIGHTGBM_MAX_NODES = 2_000_000;

const REFUSED_OBJECTIVES: Record<string, string> = {
  poisson: 'predicts exp(margin)',
  gamma: 'predicts exp(margin)',
  tweedie: 'predicts exp(margin)',
  cross_entropy: 'predicts a probability of a continuous label',
  cross_entropy_lambda: 'predicts log(1 + exp(margin))',
  multiclassova: 'gives one-vs-all sigmoids that do not sum to 1',
  lambdarank: 'ranks, it does not classify or regress',
  rank_xendcg: 'ranks, it does not classify or regress',
};

/** One tree as LightGBM holds it: splits 0…num_leaves−2, children ≥ 0 a split, < 0 the leaf ~child. */
interface RawTree {
  numLeaves: number;
  splitFeature: number[];
  threshold: number[];
  decisionType: number[];
  left: number[];
  right: number[];
  leafValue: number[];
  leafCount: number[] | null;
  internalCount: number[] | null;
  catBoundaries: number[];
  catThreshold: number[];
}

interface RawModel {
  version: string;
  numClass: number;
  treesPerIteration: number;
  maxFeatureIdx: number;
  objective: string | null;
  average: boolean;
  featureNames: string[] | null;
  trees: RawTree[];
}

/** Whether a text file is a LightGBM text model (`save_model`): it starts with `tree` then `version=v`. */
export function looksLikeLightgbmText(text: string): boolean {
  return /^\uFEFF?\s*tree\r?\nversion=v/.test(text);
}

/** Whether parsed JSON is a LightGBM dump (`dump_model`): `tree_info` trees and LightGBM's header fields. */
export function looksLikeLightgbmDump(data: unknown): boolean {
  return isObject(data) && Array.isArray(data.tree_info) && ('max_feature_idx' in data || 'num_tree_per_iteration' in data);
}

export function convertLightgbmText(text: string): ConvertResult {
  return converting('LightGBM model', () => convert(parseText(text)));
}

export function convertLightgbmDump(data: unknown): ConvertResult {
  return converting('LightGBM dump', () => convert(parseDump(data)));
}

/** A number as LightGBM writes it (`%.17g`, `inf`, `-inf`). */
function numberOf(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return t === '' ? NaN : Number(t);
}

function integerOf(text: string | undefined, where: string): number {
  const n = text === undefined ? NaN : numberOf(text);
  if (!Number.isInteger(n)) throw new ImportError(`${where} is not an integer`);
  return n;
}

function arrayOf(text: string | undefined, length: number, where: string, integers: boolean): number[] {
  if (text === undefined) throw new ImportError(`${where} is missing`);
  const items = text.trim() === '' ? [] : text.trim().split(/\s+/).map(numberOf);
  if (length >= 0 && items.length !== length) throw new ImportError(`${where} has ${items.length} entries, expected ${length}`);
  const bad = items.findIndex((n) => (integers ? !Number.isInteger(n) : Number.isNaN(n)));
  if (bad !== -1) throw new ImportError(`${where}[${bad}] is not ${integers ? 'an integer' : 'a number'}`);
  return items;
}

function parseText(text: string): RawModel {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = new Map<string, string>();
  let average = false;
  let i = 0;
  for (; i < lines.length && !lines[i].startsWith('Tree='); i++) {
    const line = lines[i].trim();
    if (line === 'average_output') average = true;
    const eq = line.indexOf('=');
    if (eq > 0) header.set(line.slice(0, eq), line.slice(eq + 1));
    if (line === 'end of trees') break;
  }
  const trees: RawTree[] = [];
  while (i < lines.length && lines[i].startsWith('Tree=')) {
    const where = `${lines[i].trim()}`;
    const fields = new Map<string, string>();
    for (i++; i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith('Tree=') && lines[i].trim() !== 'end of trees'; i++) {
      const eq = lines[i].indexOf('=');
      if (eq > 0) fields.set(lines[i].slice(0, eq).trim(), lines[i].slice(eq + 1));
    }
    while (i < lines.length && lines[i].trim() === '') i++;
    trees.push(treeFromFields(fields, where));
  }
  if (trees.length === 0) throw new ImportError('no trees (no "Tree=0" section)');
  const names = header.get('feature_names');
  return {
    version: header.get('version') ?? '',
    numClass: integerOf(header.get('num_class') ?? '1', 'num_class'),
    treesPerIteration: integerOf(header.get('num_tree_per_iteration') ?? '1', 'num_tree_per_iteration'),
    maxFeatureIdx: integerOf(header.get('max_feature_idx'), 'max_feature_idx'),
    objective: header.get('objective') ?? null,
    average,
    featureNames: names === undefined || names.trim() === '' ? null : names.trim().split(/\s+/),
    trees,
  };
}

function treeFromFields(fields: Map<string, string>, where: string): RawTree {
  if (fields.get('is_linear') !== undefined && integerOf(fields.get('is_linear'), `${where} is_linear`) !== 0) {
    throw new ImportError(`${where} is a linear tree (linear_tree=true): its leaves are linear models, not supported; train with linear_tree=false`);
  }
  const numLeaves = integerOf(fields.get('num_leaves'), `${where} num_leaves`);
  if (numLeaves < 1) throw new ImportError(`${where} num_leaves ${numLeaves} is not positive`);
  const numCat = integerOf(fields.get('num_cat') ?? '0', `${where} num_cat`);
  const splits = numLeaves - 1;
  const optional = (key: string, length: number): number[] | null => (fields.has(key) ? arrayOf(fields.get(key), length, `${where} ${key}`, true) : null);
  const tree: RawTree = {
    numLeaves,
    leafValue: arrayOf(fields.get('leaf_value'), numLeaves, `${where} leaf_value`, false),
    leafCount: optional('leaf_count', numLeaves),
    internalCount: splits === 0 ? [] : optional('internal_count', splits),
    splitFeature: splits === 0 ? [] : arrayOf(fields.get('split_feature'), splits, `${where} split_feature`, true),
    threshold: splits === 0 ? [] : arrayOf(fields.get('threshold'), splits, `${where} threshold`, false),
    decisionType: splits === 0 ? [] : fields.has('decision_type') ? arrayOf(fields.get('decision_type'), splits, `${where} decision_type`, true) : new Array<number>(splits).fill(0),
    left: splits === 0 ? [] : arrayOf(fields.get('left_child'), splits, `${where} left_child`, true),
    right: splits === 0 ? [] : arrayOf(fields.get('right_child'), splits, `${where} right_child`, true),
    catBoundaries: numCat > 0 ? arrayOf(fields.get('cat_boundaries'), numCat + 1, `${where} cat_boundaries`, true) : [],
    catThreshold: numCat > 0 ? arrayOf(fields.get('cat_threshold'), -1, `${where} cat_threshold`, true) : [],
  };
  return tree;
}

function parseDump(data: unknown): RawModel {
  if (!looksLikeLightgbmDump(data)) throw new ImportError('no "tree_info" list: not a LightGBM dump_model() JSON');
  const root = data as Record<string, unknown>;
  const int = (value: unknown, where: string, fallback?: number): number => {
    const n = value === undefined && fallback !== undefined ? fallback : value;
    if (!(typeof n === 'number' && Number.isInteger(n))) throw new ImportError(`${where} is not an integer`);
    return n;
  };
  const names = Array.isArray(root.feature_names) && root.feature_names.length > 0 ? root.feature_names : null;
  if (names !== null && !names.every((n) => typeof n === 'string')) throw new ImportError('feature_names must hold strings');
  const trees = (root.tree_info as unknown[]).map((info, t) => treeFromDump(info, `tree_info[${t}]`));
  if (trees.length === 0) throw new ImportError('tree_info is empty');
  return {
    version: typeof root.version === 'string' ? root.version : '',
    numClass: int(root.num_class, 'num_class', 1),
    treesPerIteration: int(root.num_tree_per_iteration, 'num_tree_per_iteration', 1),
    maxFeatureIdx: int(root.max_feature_idx, 'max_feature_idx'),
    objective: typeof root.objective === 'string' ? root.objective : null,
    average: root.average_output === true,
    featureNames: names as string[] | null,
    trees,
  };
}

/** A dump's nested tree_structure as LightGBM's arrays (walked without recursion: trees can be deep). */
function treeFromDump(info: unknown, where: string): RawTree {
  if (!isObject(info) || !isObject(info.tree_structure)) throw new ImportError(`${where}.tree_structure is missing`);
  const tree: RawTree = { numLeaves: 0, splitFeature: [], threshold: [], decisionType: [], left: [], right: [], leafValue: [], leafCount: [], internalCount: [], catBoundaries: [0], catThreshold: [] };
  const finite = (value: unknown, what: string): number => {
    if (typeof value !== 'number' || Number.isNaN(value)) throw new ImportError(`${where}: ${what} is not a number`);
    return value;
  };
  // (node, parent split, 0 left / 1 right / -1 root)
  const pending: Array<[unknown, number, number]> = [[info.tree_structure, -1, -1]];
  while (pending.length > 0) {
    const [node, parent, side] = pending.pop() as [unknown, number, number];
    if (!isObject(node)) throw new ImportError(`${where}: a node is not an object`);
    let ref: number;
    if ('leaf_value' in node || !('split_feature' in node)) {
      if ('leaf_coeff' in node || 'leaf_const' in node) {
        throw new ImportError(`${where} is a linear tree (linear_tree=true): its leaves are linear models, not supported; train with linear_tree=false`);
      }
      ref = ~tree.leafValue.length;
      tree.leafValue.push(finite(node.leaf_value, 'leaf_value'));
      (tree.leafCount as number[]).push(typeof node.leaf_count === 'number' ? node.leaf_count : 0);
    } else {
      ref = tree.splitFeature.length;
      const feature = node.split_feature;
      if (!(typeof feature === 'number' && Number.isInteger(feature))) throw new ImportError(`${where}: split_feature is not an integer`);
      tree.splitFeature.push(feature);
      const missing = node.missing_type === 'NaN' ? MISSING_NAN : node.missing_type === 'Zero' ? MISSING_ZERO : node.missing_type === 'None' || node.missing_type === undefined ? MISSING_NONE : -1;
      if (missing === -1) throw new ImportError(`${where}: missing_type ${JSON.stringify(node.missing_type)} is not None, Zero or NaN`);
      let type = (node.default_left === true ? DEFAULT_LEFT_MASK : 0) | (missing << 2);
      if (node.decision_type === '==') {
        type |= CATEGORICAL_MASK;
        const cats = String(node.threshold).split('||').map((c) => numberOf(c));
        if (!cats.every((c) => Number.isInteger(c) && c >= 0 && c < 2 ** 31)) throw new ImportError(`${where}: a categorical threshold is not a list of categories a||b||…`);
        const words = new Array<number>(Math.floor(Math.max(...cats) / 32) + 1).fill(0);
        for (const c of cats) words[c >>> 5] = (words[c >>> 5] | (1 << (c & 31))) >>> 0;
        tree.threshold.push(tree.catBoundaries.length - 1);
        tree.catThreshold.push(...words);
        tree.catBoundaries.push(tree.catThreshold.length);
      } else if (node.decision_type === '<=' || node.decision_type === undefined) {
        tree.threshold.push(finite(node.threshold, 'threshold'));
      } else {
        throw new ImportError(`${where}: decision_type ${JSON.stringify(node.decision_type)} is not "<=" or "=="`);
      }
      tree.decisionType.push(type);
      tree.left.push(0);
      tree.right.push(0);
      (tree.internalCount as number[]).push(typeof node.internal_count === 'number' ? node.internal_count : 0);
      pending.push([node.right_child, ref, 1], [node.left_child, ref, 0]);
    }
    if (side === 0) tree.left[parent] = ref;
    else if (side === 1) tree.right[parent] = ref;
  }
  tree.numLeaves = tree.leafValue.length;
  if (tree.splitFeature.length !== tree.numLeaves - 1) throw new ImportError(`${where}: ${tree.splitFeature.length} splits for ${tree.numLeaves} leaves`);
  return tree;
}

/** The objective's name and its parameters (`binary sigmoid:1`, `multiclass num_class:3`, `regression sqrt`). */
function objectiveOf(text: string | null): { name: string; params: Map<string, string> } {
  if (text === null || text.trim() === '') {
    throw new ImportError('the model records no objective (a custom objective): its raw scores have no known link; train with a built-in objective');
  }
  const [whole, ...rest] = text.trim().split(/\s+/);
  // Named back to the user: kept short (an error never echoes much of a file).
  const name = whole.slice(0, 40);
  return { name, params: new Map(rest.map((p) => [p.split(':')[0], p.split(':')[1] ?? ''])) };
}

function convert(raw: RawModel): ConvertedForest {
  const { name, params } = objectiveOf(raw.objective);
  if (name in REFUSED_OBJECTIVES) {
    throw new ImportError(`objective "${name}" is not supported: it ${REFUSED_OBJECTIVES[name]} (supported: ${LIGHTGBM_OBJECTIVES.join(', ')})`);
  }
  if (!(LIGHTGBM_OBJECTIVES as readonly string[]).includes(name)) throw new ImportError(`objective "${name}" is not supported (supported: ${LIGHTGBM_OBJECTIVES.join(', ')})`);
  if (name === 'regression' && params.has('sqrt')) throw new ImportError('objective "regression sqrt" (reg_sqrt=true) is not supported: it predicts sign(margin)·margin²; train with reg_sqrt=false');
  const nFeatures = raw.maxFeatureIdx + 1;
  if (nFeatures < 1) throw new ImportError(`max_feature_idx ${raw.maxFeatureIdx} is negative`);
  const multi = name === 'multiclass';
  const nClasses = multi ? raw.numClass : name === 'binary' ? 2 : 0;
  const outputs = multi ? nClasses : 1;
  if (multi && !(nClasses >= 2)) throw new ImportError(`num_class ${raw.numClass} is not >= 2`);
  if (raw.treesPerIteration !== outputs) throw new ImportError(`num_tree_per_iteration ${raw.treesPerIteration} does not fit objective "${name}" (${outputs} tree${outputs === 1 ? '' : 's'} per iteration)`);
  if (raw.trees.length % outputs !== 0) throw new ImportError(`${raw.trees.length} trees are not whole iterations of ${outputs}`);
  let scale = 1;
  if (name === 'binary') {
    scale = params.has('sigmoid') ? Number(params.get('sigmoid')) : 1;
    if (!(Number.isFinite(scale) && scale > 0)) throw new ImportError(`binary sigmoid:${params.get('sigmoid')} is not a positive number`);
  }
  let nodes = 0;
  let expanded = false;
  const trees = raw.trees.map((rawTree, t) => {
    const converted = convertTree(rawTree, `Tree=${t}`, nFeatures, scale, LIGHTGBM_MAX_NODES - nodes);
    nodes += converted.tree.feature.length;
    expanded ||= converted.expanded;
    return converted.tree;
  });
  // Covers are exact only where each LightGBM split became one of ours.
  if (expanded || trees.some((tree) => tree.cover === undefined)) for (const tree of trees) delete tree.cover;
  const boost: BoostSpec = multi
    ? { link: 'softmax', base: new Array<number>(nClasses).fill(0), treeClass: trees.map((_, t) => t % outputs) }
    : { link: name === 'binary' ? 'logistic' : 'identity', base: [0] };
  if (raw.average) boost.average = true;
  const names = raw.featureNames;
  if (names !== null && names.length !== nFeatures) throw new ImportError(`feature_names has ${names.length} entries but max_feature_idx says ${nFeatures} features`);
  return {
    task: nClasses > 0 ? 'classification' : 'regression',
    forest: { kind: TREES_KIND, nFeatures, nClasses, boost, trees },
    featureNames: names,
    nClasses,
    source: {
      library: 'lightgbm',
      ...(raw.version === '' ? {} : { libraryVersion: `model ${raw.version}` }),
      objective: raw.objective?.trim() ?? name,
      trees: trees.length,
      ...(raw.average ? { averageOutput: true } : {}),
      ...(expanded ? { expandedSplits: true } : {}),
    },
  };
}

type Side = 0 | 1; // 0 left, 1 right

/**
 * LightGBM's Tree::Decision for split `s` on the value x as its predictor hands it over (c_api zeroes
 * |x| ≤ kZeroThreshold): 0 left, 1 right. Categorical: `catWords` is the split's bitset.
 */
export function lightgbmDecision(x: number, threshold: number, decisionType: number, catWords: readonly number[] | null): Side {
  if (Number.isNaN(x) === false && Math.abs(x) <= LIGHTGBM_ZERO) x = 0;
  if ((decisionType & CATEGORICAL_MASK) !== 0) {
    if (Number.isNaN(x)) return 1;
    // static_cast<int>: truncation; out of int range it is INT_MIN on the platforms LightGBM ships for (negative).
    const category = Math.trunc(x);
    if (category < 0 || category >= 2 ** 31) return 1;
    const word = Math.floor(category / 32);
    if (catWords === null || word >= catWords.length) return 1;
    return ((catWords[word] >>> (category % 32)) & 1) === 1 ? 0 : 1;
  }
  const missing = (decisionType >> 2) & 3;
  if (Number.isNaN(x) && missing !== MISSING_NAN) x = 0;
  const defaultSide: Side = (decisionType & DEFAULT_LEFT_MASK) !== 0 ? 0 : 1;
  if ((missing === MISSING_ZERO && x === 0) || (missing === MISSING_NAN && Number.isNaN(x))) return defaultSide;
  return x <= threshold ? 0 : 1;
}

/**
 * The split as intervals of x, `(uppers[i−1], uppers[i]]` going to `sides[i]` (the last upper is +Infinity), with
 * neighbours of one side merged, and the side NaN takes. Every condition in lightgbmDecision is `x <= c` for a c
 * among the breakpoints, so evaluating it at each breakpoint gives the side of the interval it closes.
 */
function intervalsOf(threshold: number, decisionType: number, catWords: readonly number[] | null): { uppers: number[]; sides: Side[]; nan: Side } {
  let points: number[];
  if ((decisionType & CATEGORICAL_MASK) !== 0) {
    // Category k is x in [k, k+1) (category 0: (−1, 1)); x ≤ −1 is negative.
    const categories = 32 * (catWords?.length ?? 0);
    points = [-1];
    for (let k = 1; k <= categories; k++) points.push(previousDouble(k));
  } else {
    points = [previousDouble(-LIGHTGBM_ZERO), LIGHTGBM_ZERO];
    if (Number.isFinite(threshold)) points.push(threshold);
    points.sort((a, b) => a - b);
  }
  const uppers: number[] = [];
  const sides: Side[] = [];
  const add = (upper: number, side: Side): void => {
    if (uppers.length > 0 && uppers[uppers.length - 1] === upper) return;
    if (sides.length > 0 && sides[sides.length - 1] === side) uppers[uppers.length - 1] = upper;
    else {
      uppers.push(upper);
      sides.push(side);
    }
  };
  for (const p of points) add(p, lightgbmDecision(p, threshold, decisionType, catWords));
  add(Infinity, lightgbmDecision(Infinity, threshold, decisionType, catWords));
  return { uppers, sides, nan: lightgbmDecision(NaN, threshold, decisionType, catWords) };
}

/** One LightGBM tree as ours. `expanded`: some split took more than one of ours (or none). */
function convertTree(raw: RawTree, where: string, nFeatures: number, scale: number, budget: number): { tree: Tree; expanded: boolean } {
  const splits = raw.numLeaves - 1;
  const counts = raw.leafCount !== null && raw.internalCount !== null;
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], missingLeft: [], ...(counts ? { cover: [] } : {}) };
  const push = (feature: number, threshold: number, value: number, missingLeft: number, cover: number): number => {
    if (tree.feature.length >= budget) {
      throw new ImportError(`the model grows past ${LIGHTGBM_MAX_NODES} nodes once its categorical and zero-as-missing splits are written as threshold splits; one-hot encode wide categorical features or train with fewer leaves`);
    }
    tree.feature.push(feature);
    tree.threshold.push(threshold);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(value);
    (tree.missingLeft as number[]).push(missingLeft);
    tree.cover?.push(Math.max(0, cover));
    return tree.feature.length - 1;
  };
  const checkChild = (child: number, s: number): void => {
    if (!(child >= -raw.numLeaves && child < splits) || child === s) throw new ImportError(`${where} split ${s} has child ${child}, outside the tree`);
  };
  for (let s = 0; s < splits; s++) {
    if (!(raw.splitFeature[s] >= 0 && raw.splitFeature[s] < nFeatures)) throw new ImportError(`${where} split ${s} is on feature ${raw.splitFeature[s]}, outside [0, ${nFeatures})`);
    checkChild(raw.left[s], s);
    checkChild(raw.right[s], s);
  }
  if (!raw.leafValue.every(Number.isFinite)) throw new ImportError(`${where} has a leaf value that is not finite`);
  const wordsOf = (s: number): number[] | null => {
    if ((raw.decisionType[s] & CATEGORICAL_MASK) === 0) return null;
    const index = raw.threshold[s];
    if (!(Number.isInteger(index) && index >= 0 && index + 1 < raw.catBoundaries.length)) throw new ImportError(`${where} split ${s} names categorical set ${index}, which the tree does not have`);
    const words = raw.catThreshold.slice(raw.catBoundaries[index], raw.catBoundaries[index + 1]);
    if (words.some((w) => !(w >= 0 && w < 2 ** 32))) throw new ImportError(`${where} split ${s}: cat_threshold holds a word outside 32 bits`);
    return words;
  };
  // A tree, not a graph: every split reached once from the root.
  const reached = new Uint8Array(Math.max(splits, 1));
  let expanded = false;
  if (splits > 0) {
    const walk = [0];
    reached[0] = 1;
    while (walk.length > 0) {
      const s = walk.pop() as number;
      for (const child of [raw.left[s], raw.right[s]]) {
        if (child < 0) continue;
        if (reached[child] === 1) throw new ImportError(`${where} split ${child} is reached twice (a cycle or a shared subtree)`);
        reached[child] = 1;
        walk.push(child);
      }
    }
    if (reached.some((v) => v === 0)) expanded = true; // unreachable splits are dropped
  }
  const intervals = new Map<number, ReturnType<typeof intervalsOf>>();
  // Work: a LightGBM node (ref) or a range [lo, hi] of one split's intervals, and where to hang what it makes.
  type Work = { ref: number; lo: number; hi: number; parent: number; side: number };
  const pending: Work[] = [{ ref: 0, lo: -1, hi: -1, parent: -1, side: -1 }];
  if (splits === 0) pending[0].ref = ~0;
  while (pending.length > 0) {
    const work = pending.pop() as Work;
    let made: number;
    const { ref } = work;
    if (ref < 0) {
      made = push(-1, 0, raw.leafValue[~ref] * scale, 0, raw.leafCount?.[~ref] ?? 0);
    } else {
      let split = intervals.get(ref);
      if (split === undefined) {
        split = intervalsOf(raw.threshold[ref], raw.decisionType[ref], wordsOf(ref));
        intervals.set(ref, split);
        if (split.sides.length !== 2) expanded = true;
      }
      const lo = work.lo === -1 ? 0 : work.lo;
      const hi = work.hi === -1 ? split.sides.length - 1 : work.hi;
      const child = (side: Side): number => (side === 0 ? raw.left[ref] : raw.right[ref]);
      if (lo === hi) {
        // One interval: the LightGBM child itself, hung where this range hangs.
        pending.push({ ref: child(split.sides[lo]), lo: -1, hi: -1, parent: work.parent, side: work.side });
        continue;
      }
      const mid = (lo + hi) >> 1;
      const nanLeft = split.sides.slice(lo, mid + 1).includes(split.nan) ? 1 : 0;
      if (nanLeft === 0 && !split.sides.slice(mid + 1, hi + 1).includes(split.nan)) throw new ImportError(`${where} split ${ref}: no interval takes NaN's side`);
      const cover = lo === 0 && hi === split.sides.length - 1 ? (raw.internalCount?.[ref] ?? 0) : 0;
      made = push(raw.splitFeature[ref], split.uppers[mid], 0, nanLeft, cover);
      pending.push({ ref, lo: mid + 1, hi, parent: made, side: 1 }, { ref, lo, hi: mid, parent: made, side: 0 });
    }
    if (work.side === 0) tree.left[work.parent] = made;
    else if (work.side === 1) tree.right[work.parent] = made;
  }
  return { tree, expanded };
}
