import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const layout = require('../../scripts/layout.js') as {
  nodeBox(node: Record<string, any>, byId: Map<string, Record<string, any>>): Box & { label: string; width: number; height: number };
  statusBox(node: Record<string, any>, byId: Map<string, Record<string, any>>): Box | undefined;
  textWidth(text: string, size?: number): number;
};

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const root = path.resolve(__dirname, '..', '..');
const FLOW_FILES = fs.readdirSync(path.join(root, 'flows')).filter((f) => f.endsWith('.json'));
/** The Dashboard 2 examples (scripts/dashboards.js), laid out by the same rules. */
const DASHBOARD_FILES = fs.readdirSync(path.join(root, 'flows', 'dashboard')).filter((f) => f.endsWith('.json'));
/** The workspace the issue measured on: a 1920 x 1080 screen at the editor's default zoom. */
const SCREEN = { width: 1920, height: 1080 };
/** Room kept between two boxes: a node border and a little air. */
const MARGIN = 4;

const intersects = (a: Box, b: Box, margin = MARGIN) => a.left < b.right + margin && b.left < a.right + margin && a.top < b.bottom + margin && b.top < a.bottom + margin;

/** Each tab's nodes with their boxes: the node itself (label width, buttons) and, under it, its status row. */
function boxesOf(file: string) {
  const nodes: Array<Record<string, any>> = JSON.parse(fs.readFileSync(path.join(root, 'flows', file), 'utf8'));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const tabs = new Map<string, Array<{ node: Record<string, any>; box: ReturnType<typeof layout.nodeBox>; status?: Box }>>();
  for (const node of nodes) {
    // Config nodes (no x, y) are not drawn on the canvas.
    if (node.type === 'tab' || typeof node.x !== 'number') continue;
    const list = tabs.get(node.z) ?? [];
    list.push({ node, box: layout.nodeBox(node, byId), status: layout.statusBox(node, byId) });
    tabs.set(node.z, list);
  }
  return tabs;
}

describe('sample flows: layout (the boxes the editor draws)', () => {
  it('the box rule is the editor\'s: 100 px at least, label + 50 (+7 with an input) rounded up to 20, 30 high', () => {
    const box = layout.nodeBox({ type: 'change', name: 'x', x: 200, y: 100, wires: [[]] }, new Map());
    assert.deepEqual([box.width, box.height, box.left, box.top], [100, 30, 150, 85]);
    const long = layout.nodeBox({ type: 'change', name: 'a much longer label than a hundred pixels', x: 0, y: 0, wires: [[]] }, new Map());
    assert.equal(long.width, 20 * Math.ceil((layout.textWidth('a much longer label than a hundred pixels') + 57) / 20));
    assert.ok(long.width > 250, `a 41-character label is wide: ${long.width}`);
    // A nameless mqtt in shows its topic; a nameless model-predict its model.
    assert.equal(layout.nodeBox({ type: 'mqtt in', topic: 'home/+/set/reply/occupancy', x: 0, y: 0, wires: [[]] }, new Map()).label, 'home/+/set/reply/occupancy');
    const model = { id: 'm', type: 'ml-model', name: 'home-occupancy' };
    assert.equal(layout.nodeBox({ type: 'model-predict', model: 'm', x: 0, y: 0, wires: [[], []] }, new Map([['m', model]])).label, 'predict: home-occupancy');
    // The status row is under the node and reaches past a narrow node.
    const status = layout.statusBox({ type: 'feature-window', name: 'w', x: 0, y: 0, wires: [[], []] }, new Map())!;
    assert.ok(status.top > 15 && status.right > 50);
  });

  for (const file of [...FLOW_FILES, ...DASHBOARD_FILES.map((f) => `dashboard/${f}`)]) {
    describe(file, () => {
      it('no two nodes\' boxes (labels, buttons and status rows included) intersect', () => {
        const overlaps: string[] = [];
        for (const list of boxesOf(file).values()) {
          const rects = list.flatMap(({ node, box, status }) => [{ node, what: 'node', box }, ...(status ? [{ node, what: 'status', box: status }] : [])]);
          for (let i = 0; i < rects.length; i++) {
            for (let j = i + 1; j < rects.length; j++) {
              const a = rects[i];
              const b = rects[j];
              if (a.node === b.node) continue;
              if (intersects(a.box, b.box)) overlaps.push(`${a.what} of ${a.node.type} "${layout.nodeBox(a.node, new Map()).label}" (${a.node.x}, ${a.node.y}) and ${b.what} of ${b.node.type} "${layout.nodeBox(b.node, new Map()).label}" (${b.node.x}, ${b.node.y})`);
            }
          }
        }
        assert.deepEqual(overlaps, []);
      });

      it('flow nodes have a position, config nodes none (a config node with x and y would start as a flow node)', () => {
        const nodes: Array<Record<string, any>> = JSON.parse(fs.readFileSync(path.join(root, 'flows', file), 'utf8'));
        for (const node of nodes) {
          if (node.type === 'tab') continue;
          const config = ['mqtt-broker', 'ml-model', 'ui-base', 'ui-page', 'ui-group', 'ui-theme'].includes(node.type);
          if (config) assert.ok(!('x' in node) && !('y' in node), `${node.type} ${node.id} has no x, y`);
          else assert.ok(Number.isFinite(node.x) && Number.isFinite(node.y), `${node.type} ${node.id} at (${node.x}, ${node.y})`);
        }
      });

      it(`each tab fits ${SCREEN.width} x ${SCREEN.height} at the default zoom`, () => {
        for (const list of boxesOf(file).values()) {
          const all = list.flatMap(({ box, status }) => [box, ...(status ? [status] : [])]);
          const left = Math.min(...all.map((b) => b.left));
          const top = Math.min(...all.map((b) => b.top));
          const right = Math.max(...all.map((b) => b.right));
          const bottom = Math.max(...all.map((b) => b.bottom));
          assert.ok(left >= 0 && top >= 0, `nothing left of or above the origin: ${left}, ${top}`);
          assert.ok(right <= SCREEN.width, `right edge ${right}`);
          assert.ok(bottom <= SCREEN.height, `bottom edge ${bottom}`);
        }
      });
    });
  }

  it('the generator writes what is checked in (flows/ is regenerated from scripts/flows.js)', () => {
    const before = new Map(FLOW_FILES.map((f) => [f, fs.readFileSync(path.join(root, 'flows', f), 'utf8')]));
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'iot-ai-flows-'));
    try {
      execFileSync(process.execPath, [path.join(root, 'scripts', 'flows.js'), out]);
      for (const [file, text] of before) assert.equal(fs.readFileSync(path.join(out, file), 'utf8'), text, `${file} is what scripts/flows.js writes`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('the generator writes what is checked in (flows/dashboard/ is regenerated from scripts/dashboards.js)', () => {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'iot-ai-dashboards-'));
    try {
      execFileSync(process.execPath, [path.join(root, 'scripts', 'dashboards.js'), out]);
      assert.deepEqual(fs.readdirSync(out).sort(), [...DASHBOARD_FILES].sort());
      for (const file of DASHBOARD_FILES) {
        assert.equal(fs.readFileSync(path.join(out, file), 'utf8'), fs.readFileSync(path.join(root, 'flows', 'dashboard', file), 'utf8'), `dashboard/${file} is what scripts/dashboards.js writes`);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
