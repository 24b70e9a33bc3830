/**
 * The Dashboard 2 examples (flows/dashboard/, issue 17) on a running demo: each sample flow and its dashboard tab
 * deployed through the admin API into a Node-RED that has FlowFuse Dashboard 2 installed (as npm start installs it),
 * the dashboard page opened in Chromium, and the live data checked where the page keeps it (Dashboard 2's client
 * store of each widget's messages): the sensor charts hold points per device, predictions are scored against the
 * simulator's truth, each decision's explanation is listed, commands and their acknowledgements are logged, and the
 * forecasts (where the sample has them) are listed. A screenshot of each page is kept in .scratch/ for the docs.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAedes, type Broker } from '../helpers/broker';
import { NodeRedProcess } from '../helpers/nodered-process';

const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureDashboard, DASHBOARD_PACKAGE } = require('../../scripts/dashboard.js') as {
  ensureDashboard(dir: string): { ok: true; installed: boolean } | { ok: false; message: string };
  DASHBOARD_PACKAGE: { name: string; version: string };
};
/** As the sample-flows e2e test: simulated time 60× faster from a fixed past weekday morning. */
const SPEED = 60;
const START = Date.UTC(2024, 5, 5, 6, 0, 0);

/** Dashboard 2 installed once into a cache the test Node-RED links to (npm start installs it into its user dir). */
function dashboardCache(): string {
  const dir = path.join(root, '.scratch', 'dashboard');
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'iot-ai-dashboard-cache', private: true, version: '0.0.1' }));
  const result = ensureDashboard(dir);
  if (!result.ok) throw new Error(result.message);
  return dir;
}

function readFlow(...parts: string[]): any[] {
  return JSON.parse(fs.readFileSync(path.join(root, 'flows', ...parts), 'utf8'));
}

/** The sample and its dashboard as a user imports both, pointed at the test broker, the simulator sped up. */
function demo(file: string, brokerPort: number): any[] {
  const flow = [...readFlow(file), ...readFlow('dashboard', file).filter((n) => n.type !== 'mqtt-broker')];
  for (const node of flow) {
    if (node.type === 'mqtt-broker') node.port = String(brokerPort);
    if (node.type === 'sensor-sim') Object.assign(node, { speed: SPEED, startTime: START });
  }
  return flow;
}

/** What the page holds for each widget: an array of points (charts) or the last message's payload (tables). */
async function widgets(page: Page): Promise<Record<string, { points?: number; series?: number; rows?: number }>> {
  return page.evaluate(() => {
    const store = (document.querySelector('#app') as any).__vue_app__.config.globalProperties.$store;
    const out: Record<string, { points?: number; series?: number; rows?: number }> = {};
    for (const [id, value] of Object.entries(store.state.data.messages as Record<string, any>)) {
      if (Array.isArray(value)) out[id] = { points: value.length, series: new Set(value.map((m: any) => m?._datapoint?.category)).size };
      else if (Array.isArray(value?.payload)) out[id] = { rows: value.payload.length };
    }
    return out;
  });
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 1000));
    value = await read();
  }
  return value;
}

describe(`browser: the dashboard examples on ${DASHBOARD_PACKAGE.name}`, function () {
  let broker: Broker;
  let red: NodeRedProcess;
  let browser: Browser;

  before(async function () {
    const cache = dashboardCache();
    broker = await startAedes();
    red = await NodeRedProcess.start({
      flows: [],
      prepare: (userDir) => {
        fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
        fs.symlinkSync(path.join(cache, 'node_modules', '@flowfuse'), path.join(userDir, 'node_modules', '@flowfuse'), 'dir');
      },
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  after(async () => {
    await browser?.close();
    await red?.dispose();
    await broker?.close();
  });

  const CASES = [
    { file: 'smart-home.json', page: '/dashboard/home', devices: 5, sensors: ['temperature', 'co2', 'light'], models: ['occupancy'], commands: true, forecasts: true },
    { file: 'smart-city.json', page: '/dashboard/city', devices: 4, sensors: ['vehicles', 'speed', 'pm25'], models: ['congestion', 'air'], commands: true, forecasts: true },
    { file: 'health.json', page: '/dashboard/health', devices: 4, sensors: ['heartRate', 'accel', 'skinTemp'], models: ['activity'], commands: false, forecasts: true },
  ];
  for (const c of CASES) {
    it(`${c.file}: the dashboard page fills with live sensor charts, predictions against truth, explanations, forecasts${c.commands ? ' and commands' : ''}`, async () => {
      const flow = demo(c.file, broker.port);
      await red.deploy(flow);
      const prefix = flow.find((n) => n.type === 'ui-page').id.replace(/-page$/, '');
      const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
      try {
        await page.goto(`${red.url}${c.page}`);
        await page.waitForFunction(() => (document.querySelector('#app') as any)?.__vue_app__?.config.globalProperties.$store, undefined, { timeout: 60_000 });
        const pageName = flow.find((n) => n.type === 'ui-page').name;
        await page.getByText(pageName, { exact: true }).first().waitFor({ timeout: 60_000 });
        const want = (id: string) => `${prefix}-${id}`;
        const seen = await waitFor(
          'live data on every widget',
          () => widgets(page),
          (w) =>
            c.sensors.every((s) => (w[want(`chart-${s}`)]?.points ?? 0) >= 3 * c.devices && w[want(`chart-${s}`)]?.series === c.devices) &&
            (w[want('latest')]?.rows ?? 0) >= c.devices * c.models.length &&
            (w[want('accuracy')]?.points ?? 0) >= 2 &&
            (w[want('why-table')]?.rows ?? 0) >= c.devices &&
            (!c.commands || (w[want('commands-table')]?.rows ?? 0) >= 1) &&
            (!c.forecasts || (w[want('forecast-table')]?.rows ?? 0) >= 1),
        );
        // Each sensor chart: one series per device, none left out.
        for (const s of c.sensors) assert.equal(seen[want(`chart-${s}`)].series, c.devices, `${s}: a series per device`);
        // The page draws them: a canvas per chart, table rows in the DOM.
        const drawn = await page.evaluate(() => ({ canvases: document.querySelectorAll('canvas').length, rows: document.querySelectorAll('table tbody tr').length }));
        assert.ok(drawn.canvases >= c.sensors.length + 1, `the charts are drawn: ${drawn.canvases} canvases`);
        assert.ok(drawn.rows >= c.devices, `table rows on the page: ${drawn.rows}`);
        // The scored predictions and the explanations as the page shows them.
        const text = await page.locator('body').innerText();
        for (const model of c.models) assert.match(text, new RegExp(`\\b${model}\\b`), `the ${model} model is listed`);
        assert.match(text, /[a-zA-Z]+\.(mean|std|min|max|slope) [+-]\d/, 'an explanation names a feature and its signed contribution');
        await page.waitForTimeout(1500);
        fs.mkdirSync(path.join(root, '.scratch'), { recursive: true });
        await page.screenshot({ path: path.join(root, '.scratch', `dashboard-${c.file.replace(/\.json$/, '')}.jpg`), fullPage: true, type: 'jpeg', quality: 70 });
      } finally {
        await page.close();
      }
      assert.deepEqual(red.errors(), [], 'no errors in the Node-RED log');
    });
  }
});
