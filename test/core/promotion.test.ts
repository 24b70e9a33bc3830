import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runTrain } from '../../src/cli/train';
import { examplesFromValues, loadModel, trainModel, type LoadedModel } from '../../src/core/model';
import { checkLabelCounts, decidePromotion, heldOutCount, LEARNING_RULES, PromotionGate } from '../../src/core/model/train/promotion';

/** A classifier of `x` (a below 5, b above), trained on right or swapped labels. */
async function classifier(swap: boolean, version = '1.0.0'): Promise<LoadedModel> {
  const rows: Float64Array[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 100; i++) {
    rows.push(Float64Array.from([i % 10]));
    labels.push((i % 10 < 5) !== swap ? 'a' : 'b');
  }
  const examples = examplesFromValues(['x'], rows, labels, 'classification');
  assert.ok(examples.ok);
  const { model } = await trainModel(examples.examples, { name: 'm', version, createdAt: new Date(0), forest: { nTrees: 5, seed: 1 }, testFraction: 0 });
  const loaded = loadModel(model);
  assert.ok(loaded.ok);
  return loaded.model;
}

async function regressor(slope: number): Promise<LoadedModel> {
  const rows: Float64Array[] = [];
  const target: string[] = [];
  for (let i = 0; i < 200; i++) {
    rows.push(Float64Array.from([i % 20]));
    target.push(String(slope * (i % 20)));
  }
  const examples = examplesFromValues(['x'], rows, target, 'regression');
  assert.ok(examples.ok);
  const { model } = await trainModel(examples.examples, { name: 'r', createdAt: new Date(0), forest: { nTrees: 5, seed: 1 }, testFraction: 0 });
  const loaded = loadModel(model);
  assert.ok(loaded.ok);
  return loaded.model;
}

const windows = (n: number) => Array.from({ length: n }, (_, i) => ({ features: { x: i % 10 }, label: i % 10 < 5 ? 'a' : 'b' }));

describe('core/model: promotion gate and learnable label sets', () => {
  it('refuses a label set that cannot be learnt, naming the rule', () => {
    assert.deepEqual(checkLabelCounts([40, 35]), { ok: true });
    assert.match((checkLabelCounts([75]) as { message: string }).message, /one label/);
    const many = checkLabelCounts(new Array(3000).fill(1));
    assert.equal(many.ok, false);
    assert.match((many as { message: string }).message, /3000 distinct labels.*at most 100/);
    assert.match((checkLabelCounts([20, 1, 1]) as { message: string }).message, /2 of the 3 labels are seen once/);
    assert.equal(checkLabelCounts([20, 1]).ok, true, 'half the labels seen once is still learnable');
    assert.equal(checkLabelCounts(new Array(LEARNING_RULES.maxLabels).fill(2)).ok, true);
  });

  it('holds out the newest windows the live model has not learnt from, leaving at least one to train on', () => {
    assert.equal(heldOutCount(100, 0.2, 100), 20);
    assert.equal(heldOutCount(100, 0.2, 7), 7, 'windows the live model learnt from never judge it');
    assert.equal(heldOutCount(100, 0, 100), 0);
    assert.equal(heldOutCount(2, 0.9, 2), 1);
    assert.equal(heldOutCount(10, 0.01, 10), 1, 'a positive share holds out at least one window');
  });

  it('better: keeps a candidate worse than the live model on the same windows, with both scores', async () => {
    const live = await classifier(false);
    const candidate = await classifier(true, '1.0.1');
    const held = windows(20);
    const kept = decidePromotion({ mode: 'better', task: 'classification', candidate, live, heldOut: held });
    assert.equal(kept.promoted, false);
    assert.equal(kept.reason, 'worse');
    assert.deepEqual([kept.candidate, kept.live, kept.heldOut, kept.metric], [0, 1, 20, 'accuracy']);
    assert.match(kept.message, /accuracy 0\.000 .* live model 1\.000/);
    const promoted = decidePromotion({ mode: 'better', task: 'classification', candidate: live, live: candidate, heldOut: held });
    assert.deepEqual([promoted.promoted, promoted.reason], [true, 'no-worse']);
    assert.equal(decidePromotion({ mode: 'always', task: 'classification', candidate, live, heldOut: held }).promoted, true);
    assert.equal(decidePromotion({ mode: 'manual', task: 'classification', candidate: live, live: candidate, heldOut: held }).reason, 'manual');
    assert.deepEqual(
      (({ promoted, reason }) => ({ promoted, reason }))(decidePromotion({ mode: 'better', task: 'classification', candidate, live: undefined, heldOut: held })),
      { promoted: true, reason: 'no-live-model' },
    );
    const none = decidePromotion({ mode: 'better', task: 'classification', candidate, live, heldOut: [] });
    assert.deepEqual([none.promoted, none.reason], [false, 'not-measured']);
  });

  it('compares regression by RMSE with a relative tolerance; a live model of another task or features is not comparable', async () => {
    const live = await regressor(2);
    const worse = await regressor(3);
    const held = Array.from({ length: 20 }, (_, i) => ({ features: { x: i }, label: 2 * i }));
    const kept = decidePromotion({ mode: 'better', task: 'regression', candidate: worse, live, heldOut: held });
    assert.deepEqual([kept.promoted, kept.reason, kept.metric], [false, 'worse', 'rmse']);
    assert.ok((kept.candidate as number) > (kept.live as number));
    const classifierLive = await classifier(false);
    const other = decidePromotion({ mode: 'better', task: 'regression', candidate: worse, live: classifierLive, heldOut: held });
    assert.deepEqual([other.promoted, other.reason, other.live], [true, 'live-not-comparable', null]);
    const otherFeatures = decidePromotion({ mode: 'better', task: 'regression', candidate: worse, live, heldOut: [{ features: { y: 1 }, label: 1 }] });
    assert.equal(otherFeatures.reason, 'live-not-comparable');
  });

  it('PromotionGate: counts the windows the live model has not seen and keeps one candidate for msg.promote', () => {
    const gate = new PromotionGate<{ version: string }>();
    const records = Array.from({ length: 50 }, (_, i) => ({ seq: i + 1 }));
    const plan = gate.plan(records, 0.2);
    assert.deepEqual(plan, { heldOut: 10, trainedUpTo: 40 });
    gate.published(plan.trainedUpTo);
    assert.equal(gate.plan(records, 0.2).heldOut, 10, 'the previous held-out windows are still unseen');
    const more = Array.from({ length: 55 }, (_, i) => ({ seq: i + 1 }));
    assert.equal(gate.plan(more, 0.2).heldOut, 11);
    assert.equal(gate.takeKept(), undefined);
    gate.keep({ model: { version: '1.0.3' }, trainedUpTo: 44 });
    assert.equal(gate.kept?.model.version, '1.0.3');
    assert.deepEqual(gate.takeKept(), { model: { version: '1.0.3' }, trainedUpTo: 44 });
    assert.equal(gate.kept, undefined);
  });
});

describe('iot-ai train: learnable label sets', function () {
  this.timeout(30_000);
  let directory: string;
  beforeEach(async () => (directory = await mkdtemp(path.join(tmpdir(), 'iot-ai-labels-'))));
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('refuses 3,000 distinct free-text labels before training (exit 1, nothing written)', async () => {
    const data = path.join(directory, 'notes.csv');
    await writeFile(data, ['temp,hum,note', ...Array.from({ length: 3000 }, (_, i) => `${i % 40},${i % 7},remark number ${i}`)].join('\n'));
    let stderr = '';
    let stdout = '';
    const code = await runTrain(['--data', data, '--label', 'note', '--out', path.join(directory, 'm.json')], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    assert.equal(code, 1, stdout);
    assert.match(stderr, /3000 distinct labels/);
    assert.doesNotMatch(stderr, /training: /, 'refused before any tree was grown');
    assert.deepEqual(await readdir(directory), ['notes.csv']);
  });
});
