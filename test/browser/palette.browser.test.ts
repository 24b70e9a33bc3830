import { strict as assert } from 'node:assert';
import { editorSession, type EditorSession } from '../helpers/browser';

/**
 * Issue #18.14: the IoT AI palette reads as the pipeline it builds, its two model nodes look different, no label
 * wraps, and code in the nodes' help stays inside the sidebar.
 */
const HELP_TYPES = ['sensor-ingest', 'feature-window', 'model-predict', 'anomaly-detect', 'model-train', 'actuator-command', 'sensor-sim', 'ml-model'];

/** Opens a node type's help in the sidebar and waits until it shows. */
async function showHelp(page: EditorSession['editor']['page'], type: string): Promise<void> {
  await page.evaluate((t) => (window as any).RED.sidebar.help.show(t), type);
  await page.waitForFunction((t) => {
    const RED = (window as any).RED;
    return document.querySelector('h1.red-ui-help-title')?.textContent === RED.nodes.getType(t).paletteLabel;
  }, type);
}

describe('browser: the IoT AI palette and help (#18.14)', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  it('lists the nodes in pipeline order: ingest, window, predict, anomaly, train, actuator, sim', async () => {
    const { page } = session.editor;
    const types = await page.locator('#red-ui-palette-IoT_AI .red-ui-palette-node').evaluateAll((els) => els.map((el) => el.getAttribute('data-palette-type')));
    assert.deepEqual(types, ['sensor-ingest', 'feature-window', 'model-predict', 'anomaly-detect', 'model-train', 'actuator-command', 'sensor-sim']);
  });

  it('gives model-predict and model-train different icons, and every node an icon of its own', async () => {
    const { page } = session.editor;
    const icons: Record<string, string> = await page.evaluate(() => {
      const RED = (window as any).RED;
      const out: Record<string, string> = {};
      for (const type of ['sensor-ingest', 'feature-window', 'model-predict', 'anomaly-detect', 'model-train', 'actuator-command', 'sensor-sim']) out[type] = RED.nodes.getType(type).icon;
      return out;
    });
    assert.notEqual(icons['model-predict'], icons['model-train']);
    assert.equal(new Set(Object.values(icons)).size, 7, JSON.stringify(icons));
    // Each icon is served (not the editor's fallback): the palette shows the file it names.
    const shown = await page.locator('#red-ui-palette-IoT_AI .red-ui-palette-icon').evaluateAll((els) => els.map((el) => (el as HTMLElement).style.backgroundImage));
    for (const [type, icon] of Object.entries(icons)) assert.ok(shown.some((url) => url.includes(icon)), `${type}'s ${icon} is shown: ${shown.join(', ')}`);
    const status = await page.evaluate(async (names) => Promise.all(names.map(async (n) => (await fetch(`icons/@iot-ai/node-red-iot-ai/${n}`)).status)), Object.values(icons));
    assert.deepEqual(status, status.map(() => 200));
  });

  it('shows every palette label on one line, as high as a core node', async () => {
    const { page } = session.editor;
    const coreHeight = await page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="inject"]').evaluate((el) => el.getBoundingClientRect().height);
    const ours = await page.locator('#red-ui-palette-IoT_AI .red-ui-palette-node').evaluateAll((els) =>
      els.map((el) => {
        const label = el.querySelector('.red-ui-palette-label') as HTMLElement;
        const lineHeight = parseFloat(getComputedStyle(label).lineHeight) || 15;
        return { type: el.getAttribute('data-palette-type'), node: el.getBoundingClientRect().height, label: label.getBoundingClientRect().height, lineHeight, text: label.textContent, overflow: label.scrollWidth > label.clientWidth };
      }),
    );
    for (const n of ours) {
      assert.ok(n.node <= coreHeight + 0.5, `${n.type} ("${n.text}") is ${n.node}px high, a core node ${coreHeight}px`);
      assert.ok(n.label < 1.5 * n.lineHeight, `${n.type}'s label "${n.text}" wraps (${n.label}px, a line ${n.lineHeight}px)`);
      assert.equal(n.overflow, false, `${n.type}'s label "${n.text}" overflows`);
    }
  });

  it('keeps code in every node\'s help inside the sidebar', async () => {
    const { page } = session.editor;
    for (const type of HELP_TYPES) {
      await showHelp(page, type);
      const sizes = await page.evaluate(() => {
        const help = document.querySelector('h1.red-ui-help-title')!.parentElement as HTMLElement;
        const box = help.getBoundingClientRect();
        const code = Array.from(help.querySelectorAll('pre, code')).map((el) => ({ text: (el.textContent ?? '').slice(0, 40), right: el.getBoundingClientRect().right - box.left, scroll: el.scrollWidth, client: el.clientWidth }));
        const wide = Array.from(help.querySelectorAll('*'))
          .filter((el) => el.getBoundingClientRect().right > box.right + 1)
          .map((el) => `${el.tagName}.${el.className} "${(el.textContent ?? '').slice(0, 30)}"`)
          .slice(0, 5);
        return { width: box.width, scroll: help.scrollWidth, client: help.clientWidth, code, wide };
      });
      assert.ok(sizes.code.length > 0, `${type}'s help has code`);
      assert.ok(sizes.scroll <= sizes.client + 1, `${type}: the help is ${sizes.scroll}px wide in a ${sizes.client}px sidebar: ${sizes.wide.join('; ')}`);
      for (const c of sizes.code) {
        assert.ok(c.right <= sizes.width + 1, `${type}: "${c.text}" reaches ${c.right}px in a ${sizes.width}px sidebar`);
        assert.ok(c.scroll <= c.client + 1 || c.client === 0, `${type}: "${c.text}" is cut (${c.scroll}px in ${c.client}px)`);
      }
    }
  });
  // Issue #20.2: the help is the node's page in docs/nodes, rendered by Node-RED from Markdown (scripts/help.js).
  it('shows each node\'s help made from its docs page, with the sections and property lists of Node-RED\'s help', async () => {
    const { page } = session.editor;
    for (const type of HELP_TYPES) {
      await showHelp(page, type);
      const shown = await page.evaluate(() => {
        const help = document.querySelector('h1.red-ui-help-title')!.parentElement as HTMLElement;
        const body = help.querySelector('.iot-ai-help');
        return {
          wrapped: body !== null,
          sections: Array.from(help.querySelectorAll('.iot-ai-help h3')).map((h) => (h.textContent ?? '').trim()),
          properties: help.querySelectorAll('.iot-ai-help dl.message-properties > dt').length,
          title: help.querySelectorAll('.iot-ai-help h1').length,
          first: (help.querySelector('.iot-ai-help p')?.textContent ?? '').trim(),
          links: Array.from(help.querySelectorAll('.iot-ai-help a[href]')).map((a) => a.getAttribute('href') ?? ''),
        };
      });
      assert.ok(shown.wrapped, `${type}: the help is inside .iot-ai-help (help.css applies)`);
      for (const section of type === 'ml-model' ? ['Properties', 'Details'] : ['Inputs', 'Outputs', 'Details']) assert.ok(shown.sections.includes(section), `${type}: ${shown.sections.join(', ')}`);
      assert.ok(shown.properties >= 3, `${type}: ${shown.properties} properties listed`);
      assert.equal(shown.title, 0, `${type}: the page's title is not repeated under the editor's`);
      assert.ok(shown.first.length > 40, `${type}: the help opens with its summary: "${shown.first}"`);
      for (const href of shown.links) assert.match(href, /^(https?:|#)/, `${type}: a link the sidebar cannot follow: ${href}`);
    }
  });
});
