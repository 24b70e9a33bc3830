/**
 * The flows the pipeline bench deploys, all fed by a `bench-driver` and ending in a `bench-sink`:
 * - ours: sensor-ingest → feature-window → model-predict → actuator-command;
 * - the runtime's own cost per hop: four core `change` nodes;
 * - the same job as users write it today in four `function` nodes (parse, window in context, a hand-written
 *   forest, threshold → command).
 * Every second output and a Catch node go to the `rejects` sink, so a run with bad data or a fault is noticed.
 */
import type { ModelFile } from '../../src/core/model';
import type { Tree } from '../../src/core/model/forest/forest-format';

export const DRIVER = 'driver';
export const SINK = 'sink';
export const REJECTS = 'rejects';
export const MODEL_CONFIG = 'model';

/** feature-window properties of the workload: sliding 60 s windows every 10 s of event time. */
export const WINDOW_PROPS = { window: 'sliding', size: 60, slide: 10, unit: 's', time: 'event', features: ['mean', 'std', 'min', 'max'] };
const WINDOW_MS = 60_000;
const SLIDE_MS = 10_000;
/** One command per predicted label, so every window ends in a command on both sides. */
const COMMANDS: Record<string, object> = { hot: { fan: 'on' }, cold: { heater: 'on' }, ok: { mode: 'auto' } };
const COMMAND_TOPIC = 'home/{deviceId}/set';
const MIN_CONFIDENCE = 0;

type FlowNode = Record<string, unknown>;

/** MQTT topic the bench's publisher sends device messages on (`bench/sensors/<deviceId>`) and `mqtt in` reads. */
export const MQTT_TOPIC = 'bench/sensors/+';
/** The `mqtt-broker` config node of a flow fed through a broker. */
export const MQTT_BROKER = 'bench-broker';

/** Where a chain's messages come from: the in-process `bench-driver`, or a core `mqtt in` on a broker's port. */
export interface Source {
  brokerPort?: number;
}

/** The chain's first node: the driver, or an `mqtt in` (text payloads, as the driver sends) with its broker. */
function sourceNodes(tab: string, first: string, source: Source): FlowNode[] {
  if (source.brokerPort === undefined) return [{ id: DRIVER, type: 'bench-driver', wires: [[first]] }];
  return [
    { id: DRIVER, type: 'mqtt in', name: MQTT_TOPIC, topic: MQTT_TOPIC, qos: '0', datatype: 'utf8', broker: MQTT_BROKER, nl: false, rap: true, rh: 0, inputs: 0, wires: [[first]] },
    { id: MQTT_BROKER, type: 'mqtt-broker', name: 'bench broker', broker: '127.0.0.1', port: String(source.brokerPort), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
  ].map((node) => (node.type === 'mqtt-broker' ? node : { z: tab, x: 100, y: 100, ...node }));
}

/** A tab with the driver (or an mqtt in), the stages in a chain, the sinks and a Catch node. */
function chain(label: string, stages: FlowNode[], extra: FlowNode[] = [], source: Source = {}): object[] {
  const tab = `tab-${label}`;
  const ids = stages.map((stage) => stage.id as string);
  const at = (node: FlowNode, i: number): FlowNode => ({ z: tab, x: 100 + 150 * i, y: 100, ...node });
  const wired = stages.map((stage, i) => {
    const outputs = (stage.outputs as number | undefined) ?? 1;
    const next = [i + 1 < ids.length ? ids[i + 1] : SINK];
    const wires = [next, ...Array.from({ length: outputs - 1 }, () => [REJECTS])];
    const { outputs: _outputs, ...node } = stage;
    return at({ ...node, ...(stage.type === 'function' ? { outputs } : {}), wires }, i + 1);
  });
  return [
    { id: tab, type: 'tab', label },
    ...sourceNodes(tab, ids[0], source),
    ...wired,
    at({ id: SINK, type: 'bench-sink', wires: [] }, stages.length + 1),
    at({ id: REJECTS, type: 'bench-sink', wires: [] }, stages.length + 2),
    at({ id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [[REJECTS]] }, 0),
    ...extra,
  ];
}

/**
 * The pipeline, or its first `stages` stages (the last one kept sends its output 1 to the sink). `batch`: the
 * batch path (issue 19): sensor-ingest and feature-window with `output: batch`, one message per device payload.
 */
export function paletteFlow(modelPath: string, stages = 4, options: { batch?: boolean } & Source = {}): object[] {
  const output = options.batch ? { output: 'batch' } : {};
  return chain(
    options.batch ? 'batch' : 'ours',
    [
      { id: 'ingest', type: 'sensor-ingest', format: 'json', ...output, outputs: 2 },
      { id: 'window', type: 'feature-window', ...WINDOW_PROPS, ...output, outputs: 2 },
      { id: 'predict', type: 'model-predict', model: MODEL_CONFIG, outputs: 2 },
      {
        id: 'actuate',
        type: 'actuator-command',
        rules: Object.entries(COMMANDS).map(([label, command]) => ({ label, command })),
        topic: COMMAND_TOPIC,
        minConfidence: MIN_CONFIDENCE,
        ack: 'none',
        // Outcomes (output 2) are not needed here and stay unwired.
        outputs: 1,
      },
    ].slice(0, stages),
    [{ id: MODEL_CONFIG, type: 'ml-model', path: modelPath, watch: false }],
    options,
  );
}

export function changeChainFlow(source: Source = {}): object[] {
  return chain(
    'change',
    [1, 2, 3, 4].map((hop) => ({ id: `change${hop}`, type: 'change', rules: [{ t: 'set', p: 'hop', pt: 'msg', to: String(hop), tot: 'num' }] })),
    [],
    source,
  );
}

/** A function node's source, with its On Start code. */
function functionNode(id: string, func: string, initialize = ''): FlowNode {
  return { id, type: 'function', func, initialize, finalize: '', libs: [], noerr: 0, outputs: 1 };
}

export function functionFlow(model: ModelFile): object[] {
  const parse = `
// Parse the device's JSON and keep its numeric readings.
let data;
try {
    data = JSON.parse(msg.payload);
} catch (err) {
    node.warn("bad JSON: " + err.message);
    return null;
}
if (typeof data.deviceId !== "string" || typeof data.ts !== "number") return null;
const values = {};
for (const key of Object.keys(data)) {
    if (key !== "deviceId" && key !== "ts" && typeof data[key] === "number") values[key] = data[key];
}
msg.payload = { deviceId: data.deviceId, ts: data.ts, values };
return msg;`;
  const window = `
// Sliding windows of 60 s every 10 s per device, readings kept in context: mean, std, min, max per sensor.
const SIZE = ${WINDOW_MS}, SLIDE = ${SLIDE_MS};
const p = msg.payload;
const devices = context.get("devices") || {};
let device = devices[p.deviceId];
if (!device) {
    device = { nextEnd: Math.floor(p.ts / SLIDE) * SLIDE + SLIDE, readings: {} };
    devices[p.deviceId] = device;
    context.set("devices", devices);
}
const out = [];
while (p.ts >= device.nextEnd) {
    const end = device.nextEnd, start = end - SIZE;
    const features = {};
    for (const sensor in device.readings) {
        const values = device.readings[sensor].filter(r => r.ts >= start && r.ts < end).map(r => r.value);
        if (values.length === 0) continue;
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / values.length;
        features[sensor + ".mean"] = mean;
        features[sensor + ".std"] = Math.sqrt(variance);
        features[sensor + ".min"] = Math.min(...values);
        features[sensor + ".max"] = Math.max(...values);
    }
    out.push({ topic: p.deviceId, payload: { deviceId: p.deviceId, start, end, features } });
    device.nextEnd += SLIDE;
}
for (const sensor in p.values) {
    const list = device.readings[sensor] || (device.readings[sensor] = []);
    list.push({ ts: p.ts, value: p.values[sensor] });
    // Forget what no window needs any more.
    while (list.length > 0 && list[0].ts < device.nextEnd - SIZE) list.shift();
}
return [out];`;
  const predict = `
// The forest (exported into On Start): walk every tree, majority vote.
const forest = context.get("forest");
const features = msg.payload.features;
const votes = {};
for (const tree of forest.trees) {
    let n = tree;
    while (n.label === undefined) n = features[n.feature] <= n.threshold ? n.left : n.right;
    votes[n.label] = (votes[n.label] || 0) + 1;
}
let label = null;
for (const candidate in votes) if (label === null || votes[candidate] > votes[label]) label = candidate;
msg.payload.prediction = { label, confidence: votes[label] / forest.trees.length };
return msg;`;
  const command = `
// Threshold → command for the device.
const COMMANDS = ${JSON.stringify(COMMANDS)};
const MIN_CONFIDENCE = ${MIN_CONFIDENCE};
const prediction = msg.payload.prediction;
if (prediction.confidence < MIN_CONFIDENCE || !COMMANDS[prediction.label]) return null;
const deviceId = msg.payload.deviceId;
return {
    topic: "home/" + deviceId + "/set",
    payload: COMMANDS[prediction.label],
    command: { deviceId, ts: Date.now(), reason: prediction.label },
};`;
  return chain('function', [
    functionNode('parse', parse),
    functionNode('window', window),
    functionNode('predict', predict, `context.set("forest", ${JSON.stringify(nestedForest(model))});`),
    functionNode('command', command),
  ]);
}

interface NestedNode {
  feature?: string;
  threshold?: number;
  left?: NestedNode;
  right?: NestedNode;
  label?: string;
}

/** The model's trees as nested objects keyed by feature name, the way a user would paste a forest into a function. */
export function nestedForest(model: ModelFile): { trees: NestedNode[] } {
  const forest = model.forest as { trees: Tree[] };
  const labels = (model.labels ?? []).map(String);
  const build = (tree: Tree, i: number): NestedNode =>
    tree.left[i] === -1
      ? { label: labels[tree.value[i]] }
      : { feature: model.featureNames[tree.feature[i]], threshold: tree.threshold[i], left: build(tree, tree.left[i]), right: build(tree, tree.right[i]) };
  return { trees: forest.trees.map((tree) => build(tree, 0)) };
}
