/**
 * Issue 18 (5), the way the person met it: every example imported through Import › Examples into the real editor
 * in Chromium, deployed, left to show its statuses; then the boxes the editor drew (each node group's getBBox: the
 * node, its label, ports, button and status text) must not intersect, and each tab must fit 1920 x 1080 at the
 * default zoom. The widths the editor computed are checked against scripts/layout.js's (which lays the flows out).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorSession, deploy, importExample, type EditorSession } from '../helpers/browser';
import { sampleFlowNames } from '../helpers/flows';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const layout = require('../../scripts/layout.js') as { nodeBox(node: Record<string, any>, byId: Map<string, Record<string, any>>): { width: number } };

const root = path.resolve(__dirname, '..', '..');
const EXAMPLES = sampleFlowNames();

interface Drawn {
  id: string;
  type: string;
  label: string;
  w: number;
  box: { left: number; top: number; right: number; bottom: number };
}

describe('browser: the examples as drawn in the editor do not overlap', function () {
  this.timeout(300_000);
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
    await session.editor.page.setViewportSize({ width: 1920, height: 1080 });
  });
  after(() => session?.close());

  it('imports every example, deploys, and reads the drawn boxes: none intersect, each tab fits 1920 x 1080', async () => {
    const { page } = session.editor;
    const tabs: Array<{ example: string; id: string; fileTab: string }> = [];
    const state = { brokerImported: false };
    for (const example of EXAMPLES) {
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'flows', `${example}.json`), 'utf8'));
      const imported = await importExample(page, example, expected, state);
      // An example may hold two tabs (the samples' forecasts tab): the editor's, in the file's order.
      const fileTabs = expected.filter((n: { type: string }) => n.type === 'tab').map((n: { id: string }) => n.id);
      imported.tabs.forEach((id, i) => tabs.push({ example, id, fileTab: fileTabs[i] }));
    }
    await deploy(page);
    // The statuses the nodes show once their first windows have gone through (a window every 10 s).
    await page.evaluate((tabId) => (window as any).RED.workspaces.show(tabId), tabs[0].id);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-flow-node-status-group:not([style*="none"])').length > 0, undefined, { timeout: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 25_000));

    const problems: string[] = [];
    for (const { example, id, fileTab } of tabs) {
      await page.evaluate((tabId) => (window as any).RED.workspaces.show(tabId), id);
      await page.evaluate(() => (window as any).RED.view.redraw(true));
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(root, '.scratch', `layout-${fileTab}.png`) });
      const drawn: Drawn[] = await page.evaluate((tabId) => {
        const RED = (window as any).RED;
        const out: any[] = [];
        document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group').forEach((g: any) => {
          const node = RED.nodes.node(g.id);
          if (!node || node.z !== tabId) return;
          const b = g.getBBox();
          const left = node.x - node.w / 2 + b.x;
          const top = node.y - node.h / 2 + b.y;
          out.push({ id: node.id, type: node.type, label: RED.utils.getNodeLabel(node), w: node.w, box: { left, top, right: left + b.width, bottom: top + b.height } });
        });
        return out;
      }, id);
      const all: Array<Record<string, any>> = JSON.parse(fs.readFileSync(path.join(root, 'flows', `${example}.json`), 'utf8'));
      // This tab's nodes, with the config nodes (ml-model) labels are read from.
      const flow = all.filter((n) => n.z === fileTab || typeof n.x !== 'number');
      const expected = flow.filter((n) => typeof n.x === 'number').length;
      assert.equal(drawn.length, expected, `${example}: every node drawn`);
      // The ports stick out 5 px either side of a node and touch the wires' gap: compare without them.
      const shrink = (b: Drawn['box']) => ({ left: b.left + 6, top: b.top, right: b.right - 6, bottom: b.bottom });
      for (let i = 0; i < drawn.length; i++) {
        for (let j = i + 1; j < drawn.length; j++) {
          const a = shrink(drawn[i].box);
          const b = shrink(drawn[j].box);
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
            problems.push(`${example}: ${drawn[i].type} "${drawn[i].label}" and ${drawn[j].type} "${drawn[j].label}" overlap (${JSON.stringify(drawn[i].box)} / ${JSON.stringify(drawn[j].box)})`);
          }
        }
      }
      const right = Math.max(...drawn.map((d) => d.box.right));
      const bottom = Math.max(...drawn.map((d) => d.box.bottom));
      if (right > 1920 || bottom > 1080) problems.push(`${example}: reaches (${Math.round(right)}, ${Math.round(bottom)}), beyond 1920 x 1080`);
      // The layout's estimate of each node's width is never short of the editor's own.
      const byId = new Map(flow.map((n) => [n.id, n]));
      const importedIds = new Map(flow.filter((n) => typeof n.x === 'number').map((n) => [`${n.x},${n.y}`, n]));
      for (const d of drawn) {
        const node = await page.evaluate((nodeId) => {
          const n = (window as any).RED.nodes.node(nodeId);
          return `${n.x},${n.y}`;
        }, d.id);
        const source = importedIds.get(node);
        if (source && layout.nodeBox(source, byId).width < d.w) problems.push(`${example}: ${d.type} "${d.label}" is ${d.w} px wide in the editor, ${layout.nodeBox(source, byId).width} px in scripts/layout.js`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
