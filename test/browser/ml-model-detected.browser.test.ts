/**
 * Issue #28 in the editor: the ml-model dialog says what a model file was detected as (an ONNX graph: its inputs,
 * and that onnxruntime-node is missing from this palette install; XGBoost: its trees) and asks for the Inputs and
 * Labels the file does not carry, then shows the model as those will load it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { editorSession, openNode, closeDialog, type EditorSession } from '../helpers/browser';
import { TAB } from '../helpers/flows';

const IMPORT = path.join(__dirname, '..', 'fixtures', 'import');

async function summaryIncludes(page: Page, text: string): Promise<string> {
  await page.waitForFunction((t) => document.querySelector('#iot-ai-model-summary')?.textContent?.includes(t), text, { timeout: 30000 }).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${await page.textContent('#iot-ai-model-summary')}`);
  });
  return (await page.textContent('#iot-ai-model-summary')) ?? '';
}

describe('browser: the ml-model dialog shows what a model file was detected as', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(
      () => [
        { id: 'cfg', type: 'ml-model', name: 'graph', path: 'mlp-softmax.onnx', watch: false, featureNames: '', labels: '' },
        { id: 'mp', type: 'model-predict', z: TAB, name: '', model: 'cfg', property: 'payload.features', outputs: 2, version: 1, x: 300, y: 120, wires: [[], []] },
      ],
      async (red) => {
        fs.copyFileSync(path.join(IMPORT, 'onnx-graph', 'mlp-softmax.onnx'), path.join(red.userDir, 'mlp-softmax.onnx'));
        fs.copyFileSync(path.join(IMPORT, 'xgboost', 'binary-logistic.model.json'), path.join(red.userDir, 'xgb.json'));
      },
    );
  });
  after(() => session?.close());

  it('an ONNX graph: kind, inputs, the missing runtime, Inputs asked for; an XGBoost file: its trees, then its features as named', async () => {
    const { page } = session.editor;
    await openNode(page, 'mp');
    await page.click('#node-input-btn-model-edit');
    await page.waitForSelector('#node-config-input-source', { state: 'visible' });
    const graph = await summaryIncludes(page, 'ONNX graph');
    assert.match(graph, /detected: ONNX graph \(onnxruntime-node\) · classification · 4 features/);
    assert.match(graph, /graph inputs: input \[batch, 4\]/);
    assert.match(graph, /not installed: in the Node-RED user directory run ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
    assert.match(graph, /does not name its 4 inputs: give their names in Inputs/);
    await page.fill('#node-config-input-featureNames', 'temperature, humidity, co2, light');
    const named = await summaryIncludes(page, 'temperature, humidity, co2, light');
    assert.doesNotMatch(named, /give their names in Inputs/);

    await page.fill('#node-config-input-featureNames', '');
    await page.fill('#node-config-input-path', 'xgb.json');
    const xgb = await summaryIncludes(page, 'XGBoost');
    assert.match(xgb, /detected: XGBoost JSON \(converted\) · classification · 20 trees · 5 features/);
    assert.match(xgb, /does not name its 5 inputs/);
    await page.fill('#node-config-input-featureNames', 'temperature, humidity, light, co2, humidityRatio');
    await page.fill('#node-config-input-labels', 'empty, occupied');
    const converted = await summaryIncludes(page, 'xgb v1');
    assert.match(converted, /5 features: temperature, humidity, light, co2, humidityRatio/);
    assert.match(await page.textContent('.iot-ai-model-labels') ?? '', /empty, occupied/);
    await page.click('#node-config-dialog-cancel');
    await closeDialog(page);
  });
});
