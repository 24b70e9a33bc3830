/**
 * The training report's global importance from SHAP (docs/explanations.md): each feature's mean |contribution| on
 * the held-out rows, beside the impurity importance, for classification and regression. Real files in a temp dir.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { reportPathFor, runTrain } from '../../src/cli/train';

async function train(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runTrain(argv, { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } }, { now: () => new Date('2024-06-01T08:30:00Z') });
  return { code, stderr };
}

/** A deterministic uniform value in [0, 1). */
function uniform(i: number): number {
  const x = Math.sin(i * 78.233 + 1.5) * 43758.5453;
  return x - Math.floor(x);
}

/** The report's SHAP table: feature → [mean |SHAP|, impurity importance]. */
function shapTable(report: string): Map<string, [number, number]> {
  const section = report.split('<h2>Feature importance from SHAP</h2>')[1];
  assert.ok(section !== undefined, 'the report has a SHAP section');
  const rows = new Map<string, [number, number]>();
  for (const match of section.matchAll(/<tr><td>([^<]+)<\/td><td class="num">([^<]+)<\/td><td class="num">([^<]+)<\/td><\/tr>/g)) {
    rows.set(match[1], [Number(match[2]), Number(match[3])]);
  }
  return rows;
}

describe('iot-ai train: global importance from SHAP in the report', function () {
  this.timeout(60_000);
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'iot-ai-shap-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('regression: mean |contribution| on the held-out rows, in the label\'s units, beside the impurity importance', async () => {
    // power = 10·a (a uniform in [0, 1)), b is noise: a's SHAP value is about 10·a − 5, so its mean |SHAP| is about 2.5.
    const lines = ['a,b,power'];
    for (let i = 0; i < 500; i++) lines.push(`${uniform(i).toFixed(4)},${uniform(i + 1000).toFixed(4)},${(10 * uniform(i)).toFixed(4)}`);
    const data = path.join(directory, 'power.csv');
    await writeFile(data, lines.join('\n') + '\n');
    const out = path.join(directory, 'power.json');
    const result = await train(['--data', data, '--label', 'power', '--task', 'regression', '--out', out, '--trees', '20']);
    assert.equal(result.code, 0, result.stderr);
    const report = await readFile(reportPathFor(out), 'utf8');
    assert.match(report, /Mean \|contribution\| of each feature to the predictions of 100 evaluated rows \(held-out or out-of-fold\), in units of the label/);
    assert.match(report, /aria-label="feature importances from SHAP"/);
    const shap = shapTable(report);
    assert.deepEqual([...shap.keys()], ['a', 'b'], 'largest first');
    const [aShap, aImpurity] = shap.get('a')!;
    const [bShap] = shap.get('b')!;
    assert.ok(aShap > 2 && aShap < 3, `mean |SHAP| of a: ${aShap}`);
    assert.ok(bShap < 0.2, `mean |SHAP| of b: ${bShap}`);
    // The impurity importance is a share (sums to 1), shown beside it.
    assert.ok(aImpurity > 0.9 && aImpurity <= 1, `impurity importance of a: ${aImpurity}`);
  });

  it('classification: shares of the predicted class\'s votes; the feature that decides leads', async () => {
    // state is hot when t > 0.5; n is noise.
    const lines = ['t,n,state'];
    for (let i = 0; i < 400; i++) lines.push(`${uniform(i).toFixed(4)},${uniform(i + 5000).toFixed(4)},${uniform(i) > 0.5 ? 'hot' : 'cold'}`);
    const data = path.join(directory, 'rooms.csv');
    await writeFile(data, lines.join('\n') + '\n');
    const out = path.join(directory, 'rooms.json');
    const result = await train(['--data', data, '--label', 'state', '--out', out, '--trees', '20', '--test-fraction', '0']);
    assert.equal(result.code, 0, result.stderr);
    const report = await readFile(reportPathFor(out), 'utf8');
    // Nothing held out: the training rows are explained, and the report says so.
    assert.match(report, /predictions of 200 training rows \(none were held out\), in share of the predicted class's votes/);
    const shap = shapTable(report);
    assert.deepEqual([...shap.keys()], ['t', 'n']);
    // Base about 0.5 of the votes for either class, the prediction near 1: t carries most of the way.
    assert.ok(shap.get('t')![0] > 0.3, `t: ${shap.get('t')}`);
    assert.ok(shap.get('n')![0] < shap.get('t')![0] / 5, `n: ${shap.get('n')}`);
  });
});
