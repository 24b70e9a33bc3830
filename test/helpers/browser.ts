/** Debian's Chromium driven by playwright-core against a real Node-RED editor. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startAedes, type Broker } from './broker';
import { mqttBroker, tab } from './flows';
import { NodeRedProcess } from './nodered-process';

export async function openEditor(url: string): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.waitForSelector('#red-ui-palette .red-ui-palette-node', { timeout: 60000 });
  // Dismiss anything that greets a first visit (welcome tour, update notice).
  await page.evaluate(() => (window as any).RED?.notifications && document.querySelectorAll('.red-ui-notification').forEach((n: Element) => n.remove()));
  return {
    context,
    page,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Drags a palette node onto the workspace at (x, y) relative to the chart; returns the new node's id. A drop the
 * editor did not take (a loaded machine can drop mouse events mid-drag) is tried again, up to four times.
 */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<string> {
  const before: string[] = await page.evaluate(() => {
    const ids: string[] = [];
    (window as any).RED.nodes.eachNode((n: any) => ids.push(n.id));
    return ids;
  });
  const item = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    await item.scrollIntoViewIfNeeded();
    const from = (await item.boundingBox())!;
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(chart.x + x / 2, chart.y + y / 2, { steps: 5 });
    await page.mouse.move(chart.x + x, chart.y + y, { steps: 10 });
    await page.mouse.up();
    try {
      const id = await page.waitForFunction(
        ({ type, before }) => {
          let found: string | undefined;
          (window as any).RED.nodes.eachNode((n: any) => {
            if (n.type === type && !before.includes(n.id)) found = n.id;
          });
          return found;
        },
        { type, before },
        { timeout: 10_000 },
      );
      return (await id.jsonValue()) as string;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * Imports one of the palette's examples through Import › Examples (as a new flow) and waits for its tab and nodes.
 * The examples share one broker config (issue 18.4): once it is in the workspace (`state.brokerImported`), the editor
 * says some nodes already exist and "Import copy" reuses it. Returns the new tab's id and the nodes on it.
 */
export async function importExample(page: Page, example: string, flow: Array<Record<string, any>>, state: { brokerImported: boolean }): Promise<{ id: string; nodes: number; tabs: string[] }> {
  await page.click('#red-ui-header-button-sidemenu');
  await page.click('#menu-item-import');
  await page.click('a[href="#red-ui-clipboard-dialog-import-tab-examples"]');
  const library = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
  await library.locator('.red-ui-treeList-label', { hasText: '@iot-ai/node-red-iot-ai' }).first().click();
  await library.locator('.red-ui-treeList-label', { hasText: new RegExp(`^\\s*${example}\\s*$`) }).first().click();
  await page.click('#red-ui-clipboard-dialog-import-opt-new');
  await page.click('#red-ui-clipboard-dialog-ok');
  await page.waitForSelector('#red-ui-clipboard-dialog-ok', { state: 'hidden' });
  if (flow.some((n) => n.type === 'mqtt-broker')) {
    if (state.brokerImported) {
      const copy = page.locator('.red-ui-notification button', { hasText: 'Import copy' });
      await copy.first().waitFor({ timeout: 10000 });
      await copy.first().click();
    }
    state.brokerImported = true;
  }
  // An example may hold more than one tab (the samples' forecasts tab): wait for each and its nodes.
  const labels = flow.filter((n) => n.type === 'tab').map((n) => n.label as string);
  const found = await page.waitForFunction(
    (tabLabels) => {
      const tabs: Array<{ id: string; nodes: number }> = [];
      for (const tabLabel of tabLabels) {
        let tab: any;
        (window as any).RED.nodes.eachWorkspace((ws: any) => {
          if (ws.label === tabLabel) tab = ws;
        });
        const nodes = tab ? (window as any).RED.nodes.filterNodes({ z: tab.id }).length : 0;
        if (nodes === 0) return false;
        tabs.push({ id: tab.id as string, nodes });
      }
      return tabs;
    },
    labels,
    { timeout: 30_000 },
  );
  const tabs = (await found.jsonValue()) as Array<{ id: string; nodes: number }>;
  // The first tab's id; the nodes of all its tabs; every tab's id.
  return { id: tabs[0].id, nodes: tabs.reduce((sum, t) => sum + t.nodes, 0), tabs: tabs.map((t) => t.id) };
}

/** Drags a wire from a node's output port to another node's input port. */
export async function wire(page: Page, fromId: string, port: number, toId: string): Promise<void> {
  const out = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${fromId}"] g.red-ui-flow-port-output`).nth(port);
  const input = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${toId}"] g.red-ui-flow-port-input`).first();
  const a = (await out.boundingBox())!;
  const b = (await input.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Opens a node's edit dialog by double-clicking it in the workspace. */
export async function openNode(page: Page, id: string): Promise<void> {
  await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
  await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
}

export async function closeDialog(page: Page): Promise<void> {
  await page.click('#node-dialog-ok');
  await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
}

/** Clicks Deploy and waits for the editor to report success. */
export async function deploy(page: Page): Promise<void> {
  await page.click('#red-ui-header-button-deploy');
  await page.waitForFunction(() => !(window as any).RED.nodes.dirty(), undefined, { timeout: 30000 });
}

export interface EditorSession {
  broker: Broker;
  red: NodeRedProcess;
  editor: Awaited<ReturnType<typeof openEditor>>;
  close(): Promise<void>;
}

/**
 * An aedes broker, a Node-RED with the packed palette whose canvas starts with `canvas` (core nodes on tab1,
 * wired to a broker config `broker1`), and the editor open in Chromium.
 */
export async function editorSession(canvas: (brokerPort: number) => object[], prepare?: (red: NodeRedProcess) => Promise<void>): Promise<EditorSession> {
  const broker = await startAedes();
  const red = await NodeRedProcess.start({ flows: [tab(), mqttBroker(broker.port), ...canvas(broker.port)] });
  await prepare?.(red);
  const editor = await openEditor(red.url);
  return {
    broker,
    red,
    editor,
    close: async () => {
      await editor.close();
      await red.dispose();
      await broker.close();
    },
  };
}
