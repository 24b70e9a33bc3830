/**
 * Issue #28, bring your own model: ONNX tree ensembles (ai.onnx.ml TreeEnsembleClassifier / Regressor) converted to
 * the package's own forests predict what the source library predicts, on real data (UCI Occupancy): scikit-learn
 * forests and gradient boosting laid out as skl2onnx writes them, XGBoost models as onnxmltools writes them.
 * Fixtures and the script that made them: test/fixtures/import/onnx/make.py. Random ensembles with every split
 * mode check the conversion against a direct reading of the ONNX operator (onnxruntime's semantics).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import Pbf from 'pbf';
import { parseCsv, type CsvTable } from '../../src/core/model/data/csv';
import { loadModel } from '../../src/core/model/file/model-file';
import { checkPredictions } from '../../src/core/model/import/check';
import { importModel, loadAnyModel } from '../../src/core/model/import/import-model';
import { recoverFraction } from '../../src/core/model/import/onnx';
import { explainUnavailable } from '../../src/core/model/forest/shap';
import { runs } from '../helpers/fuzz';

const ONNX = path.join(__dirname, '..', 'fixtures', 'import', 'onnx');
const XGB = path.join(__dirname, '..', 'fixtures', 'import', 'xgboost');

function table(file: string): CsvTable {
  const parsed = parseCsv(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.table;
}

/** name → [the .onnx, the data and expected files' stem]. */
const FIXTURES: Record<string, [string, string]> = {
  'rf-binary': [ONNX, ONNX],
  'et-strings': [ONNX, ONNX],
  'rf-regressor': [ONNX, ONNX],
  'gb-binary': [ONNX, ONNX],
  'gb-multiclass': [ONNX, ONNX],
  'gb-regressor': [ONNX, ONNX],
  'xgb-binary': [ONNX, path.join(XGB, 'binary-logistic')],
  'xgb-multiclass': [ONNX, path.join(XGB, 'multi-softprob')],
  'xgb-regressor': [ONNX, path.join(XGB, 'reg-squarederror')],
};

function stems(name: string): { onnx: string; data: string; expected: string } {
  const [dir, stem] = FIXTURES[name];
  const base = stem === ONNX ? path.join(ONNX, name) : stem;
  return { onnx: path.join(dir, `${name}.onnx`), data: `${base}.data.csv`, expected: `${base}.expected.csv` };
}

describe('ONNX import (#28): parity with scikit-learn 1.2.1 and XGBoost 1.7.4 on UCI Occupancy', () => {
  for (const name of Object.keys(FIXTURES)) {
    it(`${name}: every value and probability within 1e-6 relative of the library's, labels identical`, () => {
      const files = stems(name);
      const data = table(files.data);
      const expected = table(files.expected);
      const imported = importModel(readFileSync(files.onnx), { fileName: `${name}.onnx`, featureNames: data.header });
      assert.ok(imported.ok, imported.ok ? '' : imported.error);
      const loaded = loadModel(imported.model);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
      const checked = checkPredictions(loaded.model, data, expected);
      assert.ok(checked.ok, checked.ok ? '' : checked.error);
      const { report } = checked;
      assert.equal(report.beyond, 0, `largest difference ${JSON.stringify(report.largest)}`);
      assert.deepEqual(report.labelMismatches, []);
      const classes = expected.header.filter((h) => h !== 'label' && h !== 'value' && !h.startsWith('margin'));
      if (imported.model.task === 'classification') {
        assert.equal(report.labelsCompared, data.rows.length);
        assert.equal(report.compared, data.rows.length * classes.length);
        assert.deepEqual(imported.model.labels?.map(String), classes);
      } else {
        assert.equal(report.compared, data.rows.length);
      }
      // ONNX files do not name their inputs, nor record node covers.
      assert.equal(imported.model.source?.library, 'onnx');
      assert.ok(explainUnavailable(imported.model.forest) !== null);
    });
  }

  it('string labels come from classlabels_strings in the file\'s order; XGBoost-style ensembles sum in float32', () => {
    const strings = importModel(readFileSync(path.join(ONNX, 'et-strings.onnx')), { fileName: 'x.onnx', featureNames: ['a', 'b', 'c', 'd'] });
    assert.ok(strings.ok);
    assert.deepEqual(strings.model.labels, ['high', 'low', 'mid']);
    const xgb = importModel(readFileSync(path.join(ONNX, 'xgb-binary.onnx')), { fileName: 'x.onnx', featureNames: ['a', 'b', 'c', 'd', 'e'] });
    assert.ok(xgb.ok);
    assert.equal((xgb.model.forest as { boost?: { float32?: boolean } }).boost?.float32, true);
  });

  it('an ONNX file without feature names asks for them; the count must match the input width', () => {
    const bytes = readFileSync(path.join(ONNX, 'gb-binary.onnx'));
    const none = importModel(bytes, { fileName: 'gb.onnx' });
    assert.ok(!none.ok && /does not name its 5 inputs/.test(none.error), JSON.stringify(none));
    const wrong = importModel(bytes, { fileName: 'gb.onnx', featureNames: ['a', 'b'] });
    assert.ok(!wrong.ok && /2 feature names given but the model has 5/.test(wrong.error));
    // Detected by content too, without the .onnx extension (ml-model's path).
    const loaded = loadAnyModel(bytes, { fileName: 'model.bin', featureNames: ['a', 'b', 'c', 'd', 'e'] });
    assert.ok(loaded.ok && loaded.converted);
  });

  it('recoverFraction gives a leaf\'s count ratio back from float32(p / n)', () => {
    for (const n of [1, 3, 7, 10, 100]) {
      for (const [num, den] of [[1, 1], [0, 1], [1, 2], [2, 3], [5, 17], [123, 457]]) {
        const p = num / den;
        assert.equal(recoverFraction(Math.fround(p / n), n), p, `${num}/${den} over ${n} trees`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-built ONNX files (written with pbf, field numbers of onnx.proto) for the random and the refused cases.

interface Attribute { name: string; s?: string; i?: number; floats?: number[]; ints?: number[]; strings?: string[] }
interface NodeSpec { op: string; domain?: string; inputs: string[]; outputs: string[]; attributes?: Attribute[] }

/** pbf's writeMessage with a typed callback. */
function msg(pbf: Pbf, tag: number, write: (p: Pbf) => void): void {
  pbf.writeMessage(tag, (_: unknown, p?: Pbf) => write(p as Pbf), null);
}

function writeOnnx(nodes: NodeSpec[], options: { inputType?: number; width?: number; mlOpset?: number } = {}): Uint8Array {
  const pbf = new Pbf();
  pbf.writeVarintField(1, 8);
  pbf.writeStringField(2, 'test');
  msg(pbf, 8, (p) => { p.writeStringField(1, ''); p.writeVarintField(2, 15); });
  msg(pbf, 8, (p) => { p.writeStringField(1, 'ai.onnx.ml'); p.writeVarintField(2, options.mlOpset ?? 1); });
  msg(pbf, 7, (graph) => {
    for (const node of nodes) {
      msg(graph, 1, (p) => {
        for (const input of node.inputs) p.writeStringField(1, input);
        for (const output of node.outputs) p.writeStringField(2, output);
        p.writeStringField(4, node.op);
        if (node.domain !== undefined) p.writeStringField(7, node.domain);
        for (const a of node.attributes ?? []) {
          msg(p, 5, (q) => {
            q.writeStringField(1, a.name);
            if (a.s !== undefined) { q.writeVarintField(20, 3); q.writeBytesField(4, Buffer.from(a.s)); }
            if (a.i !== undefined) { q.writeVarintField(20, 2); q.writeVarintField(3, a.i); }
            if (a.floats !== undefined) { q.writeVarintField(20, 6); q.writePackedFloat(7, a.floats); }
            if (a.ints !== undefined) { q.writeVarintField(20, 7); q.writePackedVarint(8, a.ints); }
            for (const s of a.strings ?? []) q.writeBytesField(9, Buffer.from(s));
            if (a.strings !== undefined) q.writeVarintField(20, 8);
          });
        }
      });
    }
    msg(graph, 11, (p) => {
      p.writeStringField(1, 'X');
      msg(p, 2, (type) => msg(type, 1, (tensor) => {
        tensor.writeVarintField(1, options.inputType ?? 1);
        msg(tensor, 2, (shape) => {
          msg(shape, 1, (dim) => dim.writeStringField(2, 'N'));
          msg(shape, 1, (dim) => dim.writeVarintField(1, options.width ?? 3));
        });
      }));
    });
  });
  return pbf.finish();
}

type Mode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';
interface RandomSplit { mode: Mode; feature: number; threshold: number; tracks: boolean }
/** A complete binary tree of depth 2 or 3 in breadth-first order: splits, then leaves with one weight each. */
interface RandomTree { splits: RandomSplit[]; leaves: number[] }

function regressorOf(trees: RandomTree[], base: number, transform = 'NONE'): Uint8Array {
  const a: Record<string, Array<number | string>> = {
    nodes_treeids: [], nodes_nodeids: [], nodes_featureids: [], nodes_modes: [], nodes_values: [], nodes_truenodeids: [],
    nodes_falsenodeids: [], nodes_missing_value_tracks_true: [], target_treeids: [], target_nodeids: [], target_ids: [], target_weights: [],
  };
  trees.forEach((tree, t) => {
    const total = tree.splits.length + tree.leaves.length;
    for (let i = 0; i < total; i++) {
      const split = tree.splits[i];
      // Node ids shuffled (reversed) so the reader does not rely on their order.
      const id = (k: number): number => total - 1 - k;
      a.nodes_treeids.push(t);
      a.nodes_nodeids.push(id(i));
      a.nodes_featureids.push(split?.feature ?? 0);
      a.nodes_modes.push(split?.mode ?? 'LEAF');
      a.nodes_values.push(split?.threshold ?? 0);
      a.nodes_truenodeids.push(split === undefined ? 0 : id(2 * i + 1));
      a.nodes_falsenodeids.push(split === undefined ? 0 : id(2 * i + 2));
      a.nodes_missing_value_tracks_true.push(split?.tracks === true ? 1 : 0);
      if (split === undefined) {
        a.target_treeids.push(t);
        a.target_nodeids.push(id(i));
        a.target_ids.push(0);
        a.target_weights.push(tree.leaves[i - tree.splits.length]);
      }
    }
  });
  const floats = new Set(['nodes_values', 'target_weights']);
  const attributes: Attribute[] = Object.entries(a).map(([name, list]) =>
    name === 'nodes_modes' ? { name, strings: list as string[] } : floats.has(name) ? { name, floats: list as number[] } : { name, ints: list as number[] });
  attributes.push({ name: 'n_targets', i: 1 }, { name: 'post_transform', s: transform }, { name: 'base_values', floats: [base] });
  return writeOnnx([{ op: 'TreeEnsembleRegressor', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['variable'], attributes }]);
}

/** onnxruntime's reading of one tree: float32 input, float32 thresholds, NaN to true where tracked or where the comparison holds. */
function onnxTree(tree: RandomTree, row: number[]): number {
  let i = 0;
  while (i < tree.splits.length) {
    const { mode, feature, threshold, tracks } = tree.splits[i];
    const x = Math.fround(row[feature]);
    const c = Math.fround(threshold);
    const holds = { BRANCH_LEQ: x <= c, BRANCH_LT: x < c, BRANCH_GTE: x >= c, BRANCH_GT: x > c, BRANCH_EQ: x === c, BRANCH_NEQ: x !== c }[mode];
    i = holds || (tracks && Number.isNaN(x)) ? 2 * i + 1 : 2 * i + 2;
  }
  return tree.leaves[i - tree.splits.length];
}

describe('ONNX import (#28): random ensembles with every split mode equal a direct reading of the operator', () => {
  const threshold = fc.oneof(fc.constantFrom(0, -0, 1, -1, 0.1, 1e-30, 3.4028234663852886e38), fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround));
  const split = fc.record({
    mode: fc.constantFrom<Mode>('BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'),
    feature: fc.integer({ min: 0, max: 2 }),
    threshold,
    tracks: fc.boolean(),
  });
  const tree = fc.integer({ min: 1, max: 3 }).chain((depth) => fc.record({
    splits: fc.array(split, { minLength: 2 ** depth - 1, maxLength: 2 ** depth - 1 }),
    leaves: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1000, max: 1000 }).map(Math.fround), { minLength: 2 ** depth, maxLength: 2 ** depth }),
  }));

  it('values at, around and half-way to every threshold, and missing, go where onnxruntime sends them', () => {
    fc.assert(fc.property(fc.array(tree, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1000 }), (trees, seed) => {
      const imported = importModel(regressorOf(trees, 0.25), { fileName: 'r.onnx', featureNames: ['a', 'b', 'c'] });
      assert.ok(imported.ok, imported.ok ? '' : imported.error);
      const loaded = loadModel(imported.model);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
      const candidates = [NaN, 0, -0];
      for (const t of trees) {
        for (const s of t.splits) {
          const c = Math.fround(s.threshold);
          const up = -Math.fround(-c) === c ? c + Math.abs(c) * 2 ** -24 : c;
          candidates.push(c, c * (1 + 2 ** -30), c * (1 - 2 ** -30), up, (c + up) / 2, c + Math.abs(c) * 2 ** -25);
        }
      }
      let state = seed;
      const pick = (): number => candidates[(state = (state * 1103515245 + 12345) % 2147483648) % candidates.length];
      for (let r = 0; r < 40; r++) {
        const row = [pick(), pick(), pick()];
        // Ensembles of BRANCH_LT only (onnxmltools' XGBoost) are summed in float32, as XGBoost does.
        const float32 = trees.every((t) => t.splits.every((s) => s.mode === 'BRANCH_LT'));
        let expected = 0.25;
        for (const t of trees) expected = float32 ? Math.fround(expected + onnxTree(t, row)) : expected + onnxTree(t, row);
        const ours = loaded.model.predictVector(Float64Array.from(row)).value as number;
        assert.ok(Math.abs(ours - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `row ${row}: ${ours} vs ${expected}`);
      }
    }), { numRuns: runs(150, 3000) });
  });
});

describe('ONNX import (#28): refusals by name', () => {
  const ensemble = (attributes: Attribute[] = []): NodeSpec => ({
    op: 'TreeEnsembleRegressor', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['variable'],
    attributes: [
      { name: 'nodes_treeids', ints: [0] }, { name: 'nodes_nodeids', ints: [0] }, { name: 'nodes_featureids', ints: [0] },
      { name: 'nodes_modes', strings: ['LEAF'] }, { name: 'nodes_values', floats: [0] }, { name: 'nodes_truenodeids', ints: [0] },
      { name: 'nodes_falsenodeids', ints: [0] }, { name: 'target_treeids', ints: [0] }, { name: 'target_nodeids', ints: [0] },
      { name: 'target_ids', ints: [0] }, { name: 'target_weights', floats: [1] }, ...attributes,
    ],
  });
  const refused = (bytes: Uint8Array, pattern: RegExp): void => {
    const result = importModel(bytes, { fileName: 'm.onnx', featureNames: ['a', 'b', 'c'] });
    assert.ok(!result.ok, 'refused');
    assert.match(result.error, pattern);
  };

  it('a graph with other operators (a Scaler before the trees) names them', () => {
    refused(writeOnnx([{ op: 'Scaler', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['S'] }, { ...ensemble(), inputs: ['S'] }]), /Scaler beside its tree ensemble/);
  });
  it('a graph with no tree ensemble (a neural network) points to onnxruntime-node', () => {
    refused(writeOnnx([{ op: 'Gemm', inputs: ['X'], outputs: ['Y'] }]), /no TreeEnsembleClassifier or TreeEnsembleRegressor.*onnxruntime-node/);
  });
  it('the opset-5 TreeEnsemble operator, PROBIT, MIN aggregation and several targets are named', () => {
    refused(writeOnnx([{ op: 'TreeEnsemble', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['Y'] }], { mlOpset: 5 }), /TreeEnsemble operator of ai\.onnx\.ml opset 5/);
    refused(writeOnnx([ensemble([{ name: 'post_transform', s: 'PROBIT' }])]), /post_transform PROBIT is not supported/);
    refused(writeOnnx([ensemble([{ name: 'aggregate_function', s: 'MIN' }])]), /aggregate_function MIN/);
    refused(writeOnnx([ensemble([{ name: 'n_targets', i: 2 }])]), /n_targets 2/);
  });
  it('integer inputs, unknown node modes and bytes that are not ONNX are refused', () => {
    refused(writeOnnx([ensemble()], { inputType: 7 }), /tensor of type 7/);
    const bad = ensemble();
    (bad.attributes as Attribute[])[3] = { name: 'nodes_modes', strings: ['BRANCH_XOR'] };
    refused(writeOnnx([bad]), /BRANCH_XOR/);
    refused(Uint8Array.from([0x08, 0x08, 0x3a, 0x7f, 0x01]), /not a readable ONNX file/);
  });
  it('a leaf-only ensemble on a declared input converts (width from the input shape)', () => {
    const result = importModel(writeOnnx([ensemble()]), { fileName: 'm.onnx', featureNames: ['a', 'b', 'c'] });
    assert.ok(result.ok, result.ok ? '' : result.error);
    const loaded = loadModel(result.model);
    assert.ok(loaded.ok);
    assert.equal(loaded.model.predictVector(Float64Array.from([1, 2, 3])).value, 1);
  });
});
