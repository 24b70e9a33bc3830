/**
 * Issue 18 (10): an ml-model that reloads its file, the file not written yet and its folder missing (as in the
 * live examples before their first training). Each deploy used to log "cannot watch the model file: ENOENT"; now it
 * waits quietly for the folder and the file, and loads the file once something writes it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { helper, getNode } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

/** What the runtime logged at warning level or worse (node.warn, node.error). */
function warnings(): string[] {
  const spy = (helper as unknown as { log(): { args: any[][]; WARN: number; ERROR: number } }).log();
  return spy.args
    .map((args: any[]) => args[0])
    // The node's own (node.warn, node.error carry its id), not the test helper's.
    .filter((entry: any) => entry && entry.id !== undefined && (entry.level === spy.WARN || entry.level === spy.ERROR))
    .map((entry: any) => String(entry.msg));
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ml-model: reloading a file that does not exist yet', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-watch-'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // As the live examples ship it: a file under models/ (no such folder yet), seeded by a bundled model.
  const flow = (watch: unknown = true) => [
    { id: 'tab', type: 'tab', label: 'live' },
    { id: 'cfg', type: 'ml-model', z: 'tab', name: 'live', bundled: 'home-occupancy', path: 'models/live.json', watch },
    { id: 'predict', type: 'model-predict', z: 'tab', model: 'cfg', property: 'payload.features', wires: [[], []] },
  ];

  it('deploys (three times) without a warning while neither the folder nor the file exists, the seed in use', async () => {
    for (let deploy = 0; deploy < 3; deploy++) {
      if (deploy > 0) await helper.unload();
      await helper.load([mlModel, modelPredict], flow());
      const config = getNode('cfg') as any;
      await until(() => config.state().model !== undefined, 'the seed model loaded');
      assert.equal(config.state().model.name, 'home-occupancy');
      // Give a failing watch time to say so.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.deepEqual(warnings(), []);
    assert.equal(fs.existsSync(path.join(dir, 'models')), false, 'watching creates no folder');
  });

  it('loads the file once it is written, the folder created after the deploy', async () => {
    await helper.load([mlModel, modelPredict], flow());
    const config = getNode('cfg') as any;
    await until(() => config.state().model?.name === 'home-occupancy', 'the seed model loaded');
    const model = await toyClassifier('2.0.0');
    await saveModel(path.join(dir, 'models', 'live.json'), model);
    await until(() => config.state().model?.version === '2.0.0', 'the written model loaded');
    // Written again, in the folder it now watches: reloaded again.
    await saveModel(path.join(dir, 'models', 'live.json'), await toyClassifier('2.0.1'));
    await until(() => config.state().model?.version === '2.0.1', 'the rewritten model loaded');
    assert.deepEqual(warnings(), []);
  });

  it('an ml-model with no user left (its tab deleted) stays quiet', async () => {
    // The examples scope their ml-model to their tab, so deleting the tab deletes it; a config node kept without
    // users (an older import) still starts in the runtime (Node-RED starts every config node): it must stay quiet.
    await helper.load([mlModel], [{ id: 'cfg', type: 'ml-model', name: 'live', bundled: 'home-occupancy', path: 'models/live.json', watch: true }]);
    const config = getNode('cfg') as any;
    await until(() => config.state().model !== undefined, 'the seed model loaded');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(warnings(), []);
  });
});
