/**
 * The IoT AI sidebar tab on the live-retrain sample flow, imported through Import › Examples and deployed: it shows
 * the model in use (config name, model name and version, a held-out metric, the confusion matrix and importances as
 * pictures, live drift) and its saved versions, and its rollback button puts an earlier version live.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseModelFile, saveModel } from '../../src/core/model';
import { ModelArchive } from '../../src/core/model/file/archive';
import { editorSession, deploy, importExample, type EditorSession } from '../helpers/browser';

const root = path.resolve(__dirname, '..', '..');

describe('browser: the IoT AI sidebar tab', function () {
  let session: EditorSession;
  let liveVersion: string;
  const bundled = parseModelFile(fs.readFileSync(path.join(root, 'models', 'home-occupancy.json')));

  before(async () => {
    session = await editorSession(
      () => [],
      async (red) => {
        // The example's model file, as after one retraining: the bundled model archived (1.0.0), a second version live.
        if (!bundled.ok) throw new Error(bundled.error);
        const file = path.join(red.userDir, 'models', 'occupancy-live.json');
        await saveModel(file, bundled.model);
        const published = await new ModelArchive({ modelFile: file, keepVersions: 5 }).publish({ ...bundled.model, description: 'retrained' });
        if (!published.ok) throw new Error(published.message);
        liveVersion = published.model.version;
      },
    );
  });
  after(() => session?.close());

  it('shows the deployed model, a metric, its pictures and versions, and rolls back with one click', async () => {
    const { page } = session.editor;
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'live-retrain.json'), 'utf8'));
    await importExample(page, 'live-retrain', flow, { brokerImported: false });
    await deploy(page);

    const tabs: string[] = await page.evaluate(() => Array.from(document.querySelectorAll('#red-ui-sidebar .red-ui-tab')).map((li) => li.id));
    assert.ok(tabs.includes('red-ui-tab-iot-ai'), `the sidebar has an IoT AI tab: ${tabs.join(', ')}`);
    await page.evaluate(() => (window as any).RED.sidebar.show('iot-ai'));
    const model = page.locator('.iot-ai-sidebar-model', { has: page.locator('.iot-ai-sidebar-model-label', { hasText: 'occupancy (live)' }) });
    await model.locator('.iot-ai-sidebar-model-title').waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (v) => Array.from(document.querySelectorAll('.iot-ai-sidebar-model-title')).some((e) => (e.textContent ?? '').includes(`v${v}`)),
      liveVersion,
      { timeout: 30_000 },
    );
    assert.equal(await model.locator('.iot-ai-sidebar-model-title').innerText(), `home-occupancy v${liveVersion} (classification)`);
    assert.ok(bundled.ok);
    const accuracy = bundled.model.metrics.accuracy as number;
    assert.equal(await model.locator('.iot-ai-sidebar-metric[data-metric="accuracy"] .iot-ai-sidebar-metric-value').innerText(), accuracy.toFixed(3));
    assert.match(await model.locator('.iot-ai-sidebar-metric[data-metric="accuracy"]').innerText(), /accuracy/);
    // The pictures: a confusion matrix of the two labels, importance bars, and the predictor's drift.
    assert.equal(await model.locator('.iot-ai-sidebar-confusion tr').count(), 3);
    assert.ok((await model.locator('.iot-ai-sidebar-importance-bars .iot-ai-sidebar-bar').count()) > 0);
    assert.equal(await model.locator('.iot-ai-sidebar-predictor').count(), 1);
    assert.equal(await model.locator('.iot-ai-sidebar-predictor-name').innerText(), 'predict: occupancy (live)', 'an unnamed node is labelled as on the canvas');
    // The example wires no truth into model-predict: the sidebar says how to get live accuracy.
    assert.match(await model.locator('.iot-ai-sidebar-live-accuracy').innerText(), /msg\.label/);
    assert.match(await model.locator('.iot-ai-sidebar-features').innerText(), new RegExp(`^${bundled.model.featureNames.length} features: `));

    // The versions: the live one marked, the earlier one with its rollback button.
    const earlier = model.locator('.iot-ai-sidebar-version[data-version="1.0.0"]');
    await earlier.waitFor({ timeout: 30_000 });
    // For the README (copied to docs/images by hand when the sidebar changes).
    fs.mkdirSync(path.join(root, '.scratch'), { recursive: true });
    await page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => n.remove()));
    await page.screenshot({ path: path.join(root, '.scratch', 'iot-ai-sidebar-editor.png') });
    await page.locator('#red-ui-sidebar').screenshot({ path: path.join(root, '.scratch', 'iot-ai-sidebar.png') });
    assert.equal(await model.locator(`.iot-ai-sidebar-version[data-version="${liveVersion}"] .iot-ai-sidebar-live`).count(), 1);
    assert.equal(await model.locator(`.iot-ai-sidebar-version[data-version="${liveVersion}"] .iot-ai-sidebar-rollback`).count(), 0);
    const button = earlier.locator('button.iot-ai-sidebar-rollback');
    assert.equal(await button.innerText(), 'roll back');
    await button.click();
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('.iot-ai-sidebar-model-title')).some((e) => (e.textContent ?? '').includes('home-occupancy v1.0.0')),
      undefined,
      { timeout: 30_000 },
    );
    const file = JSON.parse(fs.readFileSync(path.join(session.red.userDir, 'models', 'occupancy-live.json'), 'utf8'));
    assert.equal(file.version, '1.0.0', 'the rollback put 1.0.0 back as the live file');
    await model.locator(`.iot-ai-sidebar-version[data-version="${liveVersion}"] button.iot-ai-sidebar-rollback`).waitFor({ timeout: 30_000 });
  });
});
