/**
 * Issue 18 (11): the examples right after a deploy, as a newcomer meets them. Each example runs in a real runtime
 * with a real MQTT broker at the wall clock for its first windows: no node shows a red status or logs a warning
 * or error while the windows fill and the models load, no anomaly model flags a window of a reading or two, and
 * the debug sidebar gets a few messages, not one per window (per-window debugs show their latest value as status).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper, coreNode } from '../helpers/runtime';
import { sampleFlowNames } from '../helpers/flows';
import { startAedes, type Broker } from '../helpers/broker';
import actuatorCommand = require('../../src/nodes/actuator-command');
import anomalyDetect = require('../../src/nodes/anomaly-detect');
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

const root = path.resolve(__dirname, '..', '..');
const EXAMPLES = sampleFlowNames();
/** The first windows of every device (a window every 10 s), at the wall clock as after a deploy. */
const RUN_MS = 45_000;
/** A fixed weekday morning for the simulated devices, so the run is the same every time. */
const START = Date.UTC(2024, 5, 5, 7, 0, 0);

describe('examples: the first minute after a deploy', function () {
  this.timeout(180_000);
  let dir: string;
  let broker: Broker;

  before(async () => {
    broker = await startAedes();
  });
  after(async () => broker.close());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-first-minute-'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const example of EXAMPLES) {
    it(`${example}: warm-up shows as warm-up, no red status, no warning, a readable sidebar`, async () => {
      const flow: any[] = JSON.parse(fs.readFileSync(path.join(root, 'flows', `${example}.json`), 'utf8'));
      for (const node of flow) {
        if (node.type === 'mqtt-broker') Object.assign(node, { broker: '127.0.0.1', port: String(broker.port) });
        if (node.type === 'sensor-sim') Object.assign(node, { startTime: START });
      }
      const credentials = Object.fromEntries(flow.filter((n) => n.type === 'mqtt-broker').map((n) => [n.id, { user: '', password: '' }]));
      await helper.load(
        [coreNode('common/20-inject.js'), coreNode('common/21-debug.js'), coreNode('common/90-comment.js'), coreNode('function/15-change.js'), coreNode('function/10-switch.js'), coreNode('function/rbe.js'), coreNode('network/10-mqtt.js'), sensorSim, sensorIngest, featureWindow, mlModel, modelPredict, modelTrain, anomalyDetect, actuatorCommand],
        flow,
        credentials,
      );
      const byId = new Map(flow.map((n) => [n.id, n]));
      // What reaches the debug sidebar: messages into debug nodes that are on and write to it.
      const sidebar = flow.filter((n) => n.type === 'debug' && n.active && n.tosidebar);
      let sidebarMessages = 0;
      for (const debug of sidebar) (helper.getNode(debug.id) as any).on('input', () => sidebarMessages++);
      // Windows out of the (first) feature-window, counted where they arrive.
      let windows = 0;
      const firstWindow = flow.find((n) => n.type === 'feature-window');
      (helper.getNode(firstWindow.wires[0][0]) as any).on('input', () => windows++);

      await new Promise((resolve) => setTimeout(resolve, RUN_MS));

      // Every status any node showed (the helper spies on Node.prototype.status).
      const anyNode = helper.getNode(firstWindow.id) as any;
      const statuses = anyNode.status.getCalls().map((call: any) => ({ node: byId.get(call.thisValue.id), status: call.args[0] ?? {} })).filter((s: any) => s.node);
      const red = statuses.filter((s: any) => s.status.fill === 'red' && !/mqtt/.test(s.node.type)).map((s: any) => `${s.node.type} ${s.node.name ?? ''}: ${s.status.text}`);
      assert.deepEqual([...new Set(red)], [], 'no red status while the windows fill and the models load');
      const spy = (helper as unknown as { log(): { args: any[][]; WARN: number } }).log();
      const warnings = spy.args.map((args) => args[0]).filter((e) => e && e.id !== undefined && e.level <= spy.WARN).map((e) => `${e.type} ${e.name ?? ''}: ${e.msg}`);
      assert.deepEqual(warnings, [], 'no warning or error logged');
      const anomalies = statuses.filter((s: any) => s.node.type === 'model-predict' && /\d+ model-predict\.status\.anomalies/.test(String(s.status.text)));
      assert.deepEqual(anomalies.map((s: any) => s.status.text).slice(-1), [], 'no anomaly in the first windows');
      // Sanity: the flow ran (windows came), and the sidebar saw a few messages, not one per window.
      assert.ok(windows >= 8, `${windows} windows in ${RUN_MS / 1000} s`);
      assert.ok(sidebar.length <= 2, `${sidebar.length} debug nodes on in the sidebar`);
      assert.ok(sidebarMessages <= windows / 2, `${sidebarMessages} sidebar messages for ${windows} windows`);
      // Per-window debugs show the latest value as their status instead.
      const latest = statuses.filter((s: any) => s.node.type === 'debug' && s.node.tostatus && s.status.text);
      assert.ok(latest.length > 0, 'a debug shows the latest prediction as its status');
    });
  }
});
