/**
 * Issue #28, bring your own model: LightGBM's text model (save_model) and JSON dump (dump_model) converted to
 * boosted forests of the package's own form predict what LightGBM predicts: regression (regression,
 * regression_l1, huber), binary (sigmoid 1 and 2), multiclass, average_output (rf), missing types None / Zero /
 * NaN with default_left, categorical bitsets. Fixtures and the script that made them (trees grown on LightGBM's
 * example data, expected predictions from an independent reader of LightGBM's format):
 * test/fixtures/import/lightgbm/make.py.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseCsv } from '../../src/core/model/data/csv';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import type { TreeForest } from '../../src/core/model/forest/forest-format';
import { explainUnavailable } from '../../src/core/model/forest/shap';
import { loadModel, type ModelFile } from '../../src/core/model/file/model-file';
import { importModel, loadAnyModel, needsImport } from '../../src/core/model/import/import-model';
import { lightgbmDecision, LIGHTGBM_ZERO } from '../../src/core/model/import/lightgbm';
import { runs } from '../helpers/fuzz';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'lightgbm');
const CASES = ['regression', 'regression-l1', 'binary', 'binary-sigmoid2', 'binary-rf', 'multiclass', 'categorical', 'zero-missing'] as const;
const DUMPS = new Set(['regression-l1', 'binary', 'multiclass', 'categorical', 'zero-missing']);

function csv(file: string): { header: string[]; rows: string[][] } {
  const parsed = parseCsv(readFileSync(path.join(FIXTURES, file), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.table;
}

function imported(file: string): ModelFile {
  const result = importModel(readFileSync(path.join(FIXTURES, file)), { fileName: file });
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.model;
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.abs(expected) + 1e-12, `${what}: ${actual} vs LightGBM's ${expected}`);
}

describe('LightGBM import (#28): parity with LightGBM\'s own prediction rules', () => {
  for (const name of CASES) {
    for (const form of DUMPS.has(name) ? ['model.txt', 'dump.json'] : ['model.txt']) {
      it(`${name} (${form}): every row equals LightGBM's to 1e-6 relative, labels identical, NaN/zero/odd categories included`, () => {
        const model = imported(`${name}.${form}`);
        const data = csv(`${name}.data.csv`);
        const expected = csv(`${name}.expected.csv`);
        assert.deepEqual(model.featureNames, data.header);
        const loaded = loadModel(model);
        assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
        let missing = 0;
        data.rows.forEach((cells, r) => {
          const row = Float64Array.from(cells, (c) => (c === '' ? NaN : Number(c)));
          if (row.some(Number.isNaN)) missing++;
          const prediction = loaded.model.predictVector(row);
          const truth = expected.rows[r];
          if (model.task === 'regression') close(prediction.value as number, Number(truth[0]), `row ${r + 1}`);
          else {
            assert.equal(String(prediction.label), truth[0], `row ${r + 1} label`);
            (model.labels as number[]).forEach((label, k) => close((prediction.probabilities as Record<string, number>)[label], Number(truth[k + 1]), `row ${r + 1} p(${label})`));
          }
        });
        assert.ok(missing > 50, `rows with missing values: ${missing}`);
      });
    }
  }

  it('reads the header: objectives, classes, trees per class, average_output, and records the source', () => {
    const multi = imported('multiclass.model.txt');
    assert.equal(multi.task, 'classification');
    assert.deepEqual(multi.labels, [0, 1, 2, 3, 4]);
    const forest = multi.forest as TreeForest;
    assert.equal(forest.boost?.link, 'softmax');
    assert.deepEqual(forest.boost?.treeClass?.slice(0, 7), [0, 1, 2, 3, 4, 0, 1]);
    assert.equal(multi.source?.library, 'lightgbm');
    assert.equal(multi.source?.objective, 'multiclass num_class:5');
    assert.equal((imported('binary-rf.model.txt').forest as TreeForest).boost?.average, true);
    assert.equal((imported('regression.model.txt').forest as TreeForest).boost?.link, 'identity');
    assert.equal((imported('binary.model.txt').forest as TreeForest).boost?.link, 'logistic');
    const named = importModel(readFileSync(path.join(FIXTURES, 'binary.model.txt')), { labels: ['no', 'yes'] });
    assert.ok(named.ok);
    assert.deepEqual(named.model.labels, ['no', 'yes']);
  });

  it('the text model and its dump convert to the same forest', () => {
    for (const name of DUMPS) {
      const a = imported(`${name}.model.txt`).forest as TreeForest;
      const b = imported(`${name}.dump.json`).forest as TreeForest;
      assert.deepEqual(b.trees.map((t) => t.feature.length), a.trees.map((t) => t.feature.length), name);
      assert.deepEqual(b.boost, a.boost, name);
    }
  });

  it('keeps node counts as covers (TreeSHAP) where each split maps to one of ours, and drops them where categorical or zero-as-missing splits were expanded', () => {
    const plain = imported('regression-l1.model.txt');
    assert.equal(explainUnavailable(plain.forest), null);
    assert.ok((plain.forest as TreeForest).trees[0].cover !== undefined);
    const expanded = imported('categorical.model.txt');
    assert.equal(expanded.source?.expandedSplits, true);
    assert.ok((expanded.forest as TreeForest).trees.every((t) => t.cover === undefined));
    assert.notEqual(explainUnavailable(expanded.forest), null);
  });

  it('is recognised by content through ml-model\'s loader (no file name needed)', () => {
    for (const file of ['binary.model.txt', 'multiclass.dump.json']) {
      const bytes = readFileSync(path.join(FIXTURES, file));
      assert.ok(needsImport(bytes, undefined), file);
      const loaded = loadAnyModel(bytes, {});
      assert.ok(loaded.ok && loaded.converted, file);
    }
  });
});

describe('LightGBM import (#28): a model file written by LightGBM itself (Treelite\'s test data)', () => {
  it('toy_categorical: 30 trees with categorical splits predict what LightGBM predicted for 180 rows', () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'import', 'lightgbm', 'treelite');
    const imported = importModel(readFileSync(path.join(dir, 'toy_categorical_model.txt')));
    assert.ok(imported.ok, imported.ok ? '' : imported.error);
    assert.equal(imported.model.task, 'regression');
    assert.deepEqual(imported.model.featureNames, ['Column_0', 'Column_1']);
    const loaded = loadModel(imported.model);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const rows = readFileSync(path.join(dir, 'toy_categorical.test'), 'utf8').trim().split('\n');
    const expected = readFileSync(path.join(dir, 'toy_categorical.test.pred'), 'utf8').trim().split('\n').map(Number);
    assert.equal(rows.length, 180);
    assert.equal(expected.length, rows.length);
    const distinct = new Set<number>();
    rows.forEach((line, r) => {
      // LibSVM: "label index:value ..."; an absent index is a missing value.
      const row = new Float64Array(2).fill(NaN);
      for (const cell of line.split(' ').slice(1)) {
        const [index, value] = cell.split(':');
        row[Number(index)] = Number(value);
      }
      const value = loaded.model.predictVector(row).value as number;
      assert.ok(Math.abs(value - expected[r]) <= 1e-6 * Math.max(1, Math.abs(expected[r])), `row ${r}: ${value} vs LightGBM's ${expected[r]}`);
      distinct.add(Math.round(expected[r] * 1e6));
    });
    assert.ok(distinct.size >= 5, `the rows reach the categories' leaves (${distinct.size} distinct predictions)`);
  });
});

describe('LightGBM import (#28): refusals by name', () => {
  const text = readFileSync(path.join(FIXTURES, 'regression-l1.model.txt'), 'utf8');
  const refused = (source: string, pattern: RegExp): void => {
    const result = importModel(source, { fileName: 'model.txt' });
    assert.ok(!result.ok, 'refused');
    assert.match(result.error, pattern);
  };

  it('refuses linear trees, other links, ranking and custom objectives, each by name', () => {
    refused(text.replace(/is_linear=0/, 'is_linear=1'), /LightGBM model: Tree=0 is a linear tree \(linear_tree=true\)/);
    for (const objective of ['poisson', 'gamma', 'tweedie', 'cross_entropy', 'lambdarank', 'rank_xendcg', 'multiclassova num_class:3 sigmoid:1']) {
      refused(text.replace('objective=regression_l1', `objective=${objective}`), new RegExp(`objective "${objective.split(' ')[0]}" is not supported`));
    }
    refused(text.replace('objective=regression_l1', 'objective=regression sqrt'), /reg_sqrt/);
    refused(text.replace('objective=regression_l1\n', ''), /no objective \(a custom objective\)/);
    refused(text.replace('num_tree_per_iteration=1', 'num_tree_per_iteration=3'), /num_tree_per_iteration 3 does not fit/);
    const dump = JSON.parse(readFileSync(path.join(FIXTURES, 'regression-l1.dump.json'), 'utf8'));
    let leaf = dump.tree_info[0].tree_structure;
    while (leaf.left_child !== undefined) leaf = leaf.left_child;
    leaf.leaf_coeff = [1];
    refused(JSON.stringify(dump), /LightGBM dump: tree_info\[0\] is a linear tree/);
  });

  it('refuses broken files with the place named, never throwing', () => {
    refused(text.replace(/left_child=\d+/, 'left_child=0'), /split 0 has child 0|reached twice/);
    refused(text.replace(/split_feature=\d+/, 'split_feature=99'), /feature 99, outside \[0, 28\)/);
    refused(text.replace(/leaf_value=[^\n]*/, 'leaf_value=1 2'), /leaf_value has 2 entries/);
    refused(text.replace(/Tree=[\s\S]*end of trees/, 'end of trees'), /no trees/);
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.string({ maxLength: 6 }), (at, junk) => {
        const result = importModel(text.slice(0, at) + junk + text.slice(at + junk.length), { fileName: 'model.txt' });
        return typeof result.ok === 'boolean';
      }),
      { numRuns: runs(100, 1000) },
    );
  });
});

/** A plain walk of a random LightGBM tree as LightGBM's Tree::Decision reads it (tree.h), for the property below. */
interface RandomTree {
  feature: number[];
  threshold: number[];
  decisionType: number[];
  left: number[];
  right: number[];
  leafValue: number[];
  cats: number[][];
}

function plainWalk(tree: RandomTree, row: number[]): number {
  let node = 0;
  if (tree.feature.length === 0) return tree.leafValue[0];
  while (node >= 0) {
    let x = row[tree.feature[node]];
    if (!Number.isNaN(x) && Math.abs(x) <= LIGHTGBM_ZERO) x = 0;
    const type = tree.decisionType[node];
    let goLeft: boolean;
    if (type & 1) {
      const c = Math.trunc(x);
      goLeft = !Number.isNaN(x) && c >= 0 && tree.cats[node].includes(c);
    } else {
      const missing = (type >> 2) & 3;
      if (Number.isNaN(x) && missing !== 2) x = 0;
      if ((missing === 1 && x === 0) || (missing === 2 && Number.isNaN(x))) goLeft = (type & 2) !== 0;
      else goLeft = x <= tree.threshold[node];
    }
    node = goLeft ? tree.left[node] : tree.right[node];
  }
  return tree.leafValue[~node];
}

const valueArb = fc.oneof(
  fc.constantFrom(NaN, 0, -0, LIGHTGBM_ZERO, -LIGHTGBM_ZERO, 1e-36, -1e-36, -1, -0.5, 0.5, 1, 2, 31, 32, 33.5, 64, 1e12),
  fc.double({ min: -5, max: 70, noNaN: true }),
  fc.integer({ min: -2, max: 70 }),
);

/** Random LightGBM trees in its text format: splits numbered as made, children ≥ 0 splits, < 0 leaves. */
const treeArb = fc
  .array(fc.record({ feature: fc.nat(3), threshold: fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0, LIGHTGBM_ZERO, -LIGHTGBM_ZERO, 1, 2.5)), type: fc.constantFrom(0, 2, 4, 6, 8, 10, 1, 1), cats: fc.uniqueArray(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 12 }), leftFirst: fc.boolean() }), { maxLength: 12 })
  .chain((splits) => fc.tuple(fc.constant(splits), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: splits.length + 1, maxLength: splits.length + 1 }), fc.array(fc.nat(), { minLength: splits.length, maxLength: splits.length })))
  .map(([splits, leafValue, picks]): RandomTree => {
    // Grow by splitting a random leaf of the tree so far, as LightGBM does (split i turns a leaf into two).
    const tree: RandomTree = { feature: [], threshold: [], decisionType: [], left: [], right: [], leafValue, cats: [] };
    const leafParent: Array<{ split: number; side: 'left' | 'right' } | null> = [null];
    splits.forEach((s, i) => {
      const leaf = picks[i] % leafParent.length;
      const parent = leafParent[leaf];
      if (parent !== null) tree[parent.side][parent.split] = i;
      tree.feature.push(s.feature);
      tree.threshold.push(s.type & 1 ? i : s.threshold);
      tree.decisionType.push(s.type);
      tree.cats.push(s.cats);
      tree.left.push(~leaf);
      tree.right.push(~leafParent.length);
      leafParent[leaf] = { split: i, side: 'left' };
      leafParent.push({ split: i, side: 'right' });
    });
    return tree;
  });

function treeText(tree: RandomTree, t: number): string {
  const catSplits = tree.decisionType.map((d, i) => (d & 1 ? i : -1)).filter((i) => i >= 0);
  const bounds = [0];
  const words: number[] = [];
  const threshold = tree.threshold.slice();
  for (const i of catSplits) {
    threshold[i] = bounds.length - 1;
    const w = new Array<number>(Math.floor(Math.max(...tree.cats[i]) / 32) + 1).fill(0);
    for (const c of tree.cats[i]) w[c >> 5] = (w[c >> 5] | (1 << (c & 31))) >>> 0;
    words.push(...w);
    bounds.push(words.length);
  }
  const lines = [`Tree=${t}`, `num_leaves=${tree.leafValue.length}`, `num_cat=${catSplits.length}`, `split_feature=${tree.feature.join(' ')}`, `threshold=${threshold.map((v) => String(v)).join(' ')}`, `decision_type=${tree.decisionType.join(' ')}`, `left_child=${tree.left.join(' ')}`, `right_child=${tree.right.join(' ')}`, `leaf_value=${tree.leafValue.join(' ')}`];
  if (catSplits.length > 0) lines.push(`cat_boundaries=${bounds.join(' ')}`, `cat_threshold=${words.join(' ')}`);
  return `${lines.join('\n')}\nis_linear=0\nshrinkage=1\n\n`;
}

describe('LightGBM import (#28): property over random trees', () => {
  it('a converted random LightGBM forest (numerical None/Zero/NaN, default_left, categorical) predicts the plain walk on any row', () => {
    fc.assert(
      fc.property(fc.array(treeArb, { minLength: 1, maxLength: 4 }), fc.array(fc.array(valueArb, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 12 }), (trees, rows) => {
        const text = `tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=3\nobjective=regression\nfeature_names=a b c d\n\n${trees.map(treeText).join('')}end of trees\n`;
        const result = importModel(text);
        assert.ok(result.ok, result.ok ? '' : result.error);
        const forests = (['branching', 'lockstep'] as const).map((walk) => new CompiledForest(result.model.forest as TreeForest, { walk }));
        for (const row of rows) {
          let expected = 0;
          for (const tree of trees) expected += plainWalk(tree, row);
          for (const forest of forests) {
            const value = (forest.predictRow(Float64Array.from(row)) as { value: number }).value;
            assert.ok(Math.abs(value - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${value} vs ${expected} on ${row.join(',')}`);
          }
        }
      }),
      { numRuns: runs(200, 2000) },
    );
  });

  it('lightgbmDecision reads decision_type bits as tree.h does', () => {
    // default_left (2) with missing type NaN (8): NaN left; Zero (4) without default_left: 0 and ±1e-35f right.
    assert.equal(lightgbmDecision(NaN, 1, 2 | 8, null), 0);
    assert.equal(lightgbmDecision(NaN, 1, 8, null), 1);
    assert.equal(lightgbmDecision(LIGHTGBM_ZERO, 1, 4, null), 1);
    assert.equal(lightgbmDecision(-LIGHTGBM_ZERO, 1, 4, null), 1);
    // None: NaN is read as 0.
    assert.equal(lightgbmDecision(NaN, 0, 0, null), 0);
    assert.equal(lightgbmDecision(NaN, -0.5, 0, null), 1);
    // Categorical: integer part in the bitset; -0.5 is category 0; NaN and negatives right.
    assert.equal(lightgbmDecision(-0.5, 0, 1, [1]), 0);
    assert.equal(lightgbmDecision(-1, 0, 1, [1]), 1);
    assert.equal(lightgbmDecision(33.9, 0, 1, [0, 2]), 0);
    assert.equal(lightgbmDecision(64, 0, 1, [0, 2]), 1);
  });
});
