import { strict as assert } from 'node:assert';
import { editorSession, type EditorSession } from '../helpers/browser';
import { TAB } from '../helpers/flows';

/** Issue #27.6: the editor marks settings past their new bounds invalid (the runtime refuses them at deploy). */
describe('browser: config bounds in the editor (#27.6)', function () {
  let session: EditorSession;
  const node = (id: string, type: string, props: Record<string, unknown>, y: number) => ({ id, type, z: TAB, x: 200, y, name: '', wires: [[], []], ...props });

  before(async () => {
    session = await editorSession(() => [
      node('fw-old', 'feature-window', { window: 'sliding', size: 60000, slide: 10, unit: 'ms', features: ['mean'], maxKeys: 10000 }, 40),
      node('fw-edge', 'feature-window', { window: 'sliding', size: 60000, slide: 60, unit: 'ms', features: ['mean'], maxKeys: 100000 }, 80),
      node('fw-keys', 'feature-window', { window: 'tumbling', size: 60, unit: 's', features: ['mean'], maxKeys: 100001 }, 120),
      node('in-old', 'sensor-ingest', { maxPayloadBytes: 268435456, maxRecords: 10000 }, 160),
      node('in-edge', 'sensor-ingest', { maxPayloadBytes: 16777216, maxRecords: 100000 }, 200),
      node('train-old', 'model-train', { model: '', task: 'classification', maxSamples: 1000001, maxDepth: 65 }, 240),
    ]);
  });
  after(() => session?.close());

  it('marks the old products invalid and accepts each bound\'s edge; the slide says why', async () => {
    const { page } = session.editor;
    const valid = await page.evaluate(() => Object.fromEntries(['fw-old', 'fw-edge', 'fw-keys', 'in-old', 'in-edge'].map((id) => [id, (window as any).RED.nodes.node(id).valid])));
    assert.deepEqual(valid, { 'fw-old': false, 'fw-edge': true, 'fw-keys': false, 'in-old': false, 'in-edge': true });
    const answers = await page.evaluate(() => {
      const RED = (window as any).RED;
      const slide = RED.nodes.getType('feature-window').defaults.slide.validate;
      const train = RED.nodes.getType('model-train').defaults;
      const act = RED.nodes.getType('actuator-command').defaults.ackTimeout.validate;
      return {
        slideOld: slide.call(RED.nodes.node('fw-old'), 10, {}),
        slideEdge: slide.call(RED.nodes.node('fw-edge'), 60, {}),
        // Validators answer true or the reason (text) the value is invalid (#18.8).
        maxSamples: [train.maxSamples.validate.call({ task: 'classification' }, 1000001), train.maxSamples.validate.call({ task: 'classification' }, 1000000)].map((r) => r === true),
        maxDepth: [train.maxDepth.validate.call({}, 65), train.maxDepth.validate.call({}, 64)].map((r) => r === true),
        ackTimeout: [act.call({}, 1), act.call({}, 100), act.call({}, '')].map((r) => r === true),
      };
    });
    assert.match(String(answers.slideOld), /size \/ slide must be at most 1000/);
    assert.equal(answers.slideEdge, true);
    assert.deepEqual(answers.maxSamples, [false, true]);
    assert.deepEqual(answers.maxDepth, [false, true]);
    assert.deepEqual(answers.ackTimeout, [false, true, true]);
  });
});
