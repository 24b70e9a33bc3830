import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, startMosquitto, mqttClient, type Broker } from '../helpers/broker';
import { SAMPLE_TRUTH } from '../../src/core/sim';

const root = path.resolve(__dirname, '..', '..');
/** Simulated time runs this much faster in these tests, from a fixed past morning (a weekday rush hour). */
const SPEED = 60;
const START = Date.UTC(2024, 5, 5, 6, 0, 0);
const RUN_MS = 45000;

/**
 * The sample flow as a user imports it, with two test changes: its broker points at the test's broker, and its
 * simulated devices run SPEED× faster from a fixed start (their seed is the flow's own).
 */
function importFlow(file: string, brokerPort: number, protocolVersion: '4' | '5' = '4', extra: (node: any) => void = () => {}): any[] {
  const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', file), 'utf8'));
  for (const node of flow) {
    if (node.type === 'mqtt-broker') Object.assign(node, { port: String(brokerPort), protocolVersion });
    if (node.type === 'sensor-sim') Object.assign(node, { speed: SPEED, startTime: START });
    extra(node);
  }
  return flow;
}

type Client = Awaited<ReturnType<typeof mqttClient>>;

/** Scores each prediction against the latest truth of its device, as npm start's summary does. */
function watch(client: Client, scenario: string) {
  const truth = new Map<string, Record<string, unknown>>();
  const tally = {
    predictions: new Map<string, { scored: number; correct: number }>(),
    outcomes: new Map<string, number>(),
    rejects: [] as string[],
    /** Sensor faults the simulator's truth has shown so far, as `<device>/<sensor>/<kind>`. */
    faultsSeen: new Set<string>(),
    /** Stuck reports of the city's sensor check, each with whether the truth had shown that fault by then. */
    stuckReports: [] as Array<{ deviceId: string; stuck: string[]; status: string; truthful: boolean }>,
    sensorAnomalies: 0,
  };
  client.client.on('message', (topic, payload) => {
    const parts = topic.split('/');
    const body = (() => {
      try {
        return JSON.parse(payload.toString());
      } catch {
        return undefined;
      }
    })();
    if (parts[0] === scenario && parts[2] === 'truth') {
      truth.set(parts[1], body);
      if (body?.anomaly === true) tally.faultsSeen.add(`${parts[1]}/${body.anomalySensor}/${body.anomalyKind}`);
    } else if (parts[2] === 'sensor-faults') {
      const stuck: string[] = body.stuck;
      tally.stuckReports.push({ ...body, truthful: stuck.every((sensor) => tally.faultsSeen.has(`${body.deviceId}/${sensor}/stuck`)) });
    } else if (parts[2] === 'sensor-anomalies') tally.sensorAnomalies++;
    else if (parts[2] === 'predictions') {
      const key = parts[3];
      const field = (SAMPLE_TRUTH as Readonly<Record<string, Readonly<Record<string, string>>>>)[scenario][key];
      const expected = truth.get(body.deviceId)?.[field];
      const entry = tally.predictions.get(key) ?? { scored: 0, correct: 0 };
      if (expected !== undefined) {
        entry.scored++;
        // Anomaly models answer anomaly/normal where the truth says true/false.
        const label = body.prediction.label === 'anomaly' ? 'true' : body.prediction.label === 'normal' ? 'false' : String(body.prediction.label);
        if (String(expected) === label) entry.correct++;
      }
      tally.predictions.set(key, entry);
    } else if (parts[2] === 'outcomes') tally.outcomes.set(body.status, (tally.outcomes.get(body.status) ?? 0) + 1);
    else if (parts[2] === 'rejects') tally.rejects.push(body.error.code);
  });
  return tally;
}

async function runFlow(red: NodeRedProcess, broker: Broker, file: string, scenario: string, protocolVersion: '4' | '5' = '4', extra?: (node: any) => void) {
  await red.deploy(importFlow(file, broker.port, protocolVersion, extra));
  const client = await mqttClient(broker.url, protocolVersion === '5' ? { protocolVersion: 5 } : {});
  await client.client.subscribeAsync([`${scenario}/+/truth`, `iot-ai/${scenario}/#`], { qos: 1 });
  const tally = watch(client, scenario);
  await new Promise((r) => setTimeout(r, RUN_MS));
  await client.end();
  return tally;
}

function accuracy(tally: ReturnType<typeof watch>, key: string): number {
  const entry = tally.predictions.get(key);
  assert.ok(entry && entry.scored >= 50, `at least 50 scored ${key} predictions (got ${entry?.scored ?? 0})`);
  const share = entry.correct / entry.scored;
  console.log(`      ${key}: ${entry.correct}/${entry.scored} correct (${(100 * share).toFixed(1)}%)`);
  return share;
}

describe('e2e: the sample flows, imported as users import them, with simulated devices', function () {
  let broker: Broker;
  let red: NodeRedProcess;

  before(async () => {
    broker = await startAedes();
    red = await NodeRedProcess.start();
  });
  after(async () => {
    await red?.dispose();
    await broker?.close();
  });

  it('smart home: occupancy ≥ 85% against the truth, commands acknowledged, malformed payloads rejected', async () => {
    const tally = await runFlow(red, broker, 'smart-home.json', 'home');
    const occupancyShare = accuracy(tally, 'occupancy');
    assert.ok(occupancyShare >= 0.85, `occupancy accuracy ${occupancyShare}`);
    assert.ok((tally.outcomes.get('acked') ?? 0) >= 1, `commands acked: ${JSON.stringify([...tally.outcomes])}`);
    assert.equal(tally.outcomes.get('nacked') ?? 0, 0);
    assert.ok(tally.rejects.length >= 1, 'the simulator\'s malformed payloads leave on the reject output');
    assert.ok(tally.rejects.every((code) => ['parse', 'type', 'range', 'missing-field'].includes(code)), tally.rejects.join());
    assert.deepEqual(red.errors(), []);
  });

  it('smart city: congestion ≥ 80% and air quality ≥ 70% against the truth, commands acknowledged', async () => {
    // More sensor faults than the flow's 2 %, and a seed whose 45 minutes (simulated) have a stuck NO2 sensor
    // from minute 2 (iot-ai simulate --scenario city --devices 4 --seed 3 --anomalies 0.3 shows it).
    const tally = await runFlow(red, broker, 'smart-city.json', 'city', '4', (node) => {
      if (node.type === 'sensor-sim') Object.assign(node, { anomalies: 0.3, seed: 3 });
    });
    assert.ok([...tally.faultsSeen].some((f) => f.endsWith('/stuck')), 'the run has a stuck sensor to find');
    const congestionShare = accuracy(tally, 'congestion');
    assert.ok(congestionShare >= 0.8, `congestion accuracy ${congestionShare}`);
    const airShare = accuracy(tally, 'air');
    assert.ok(airShare >= 0.7, `air quality accuracy ${airShare}`);
    // The sensor check: every junction reported once as ok, stuck reports only for sensors the truth says are stuck,
    // and one for each sensor that stuck long enough to fill a window.
    const stuckTruth = [...tally.faultsSeen].filter((f) => f.endsWith('/stuck'));
    console.log(`      faults: ${[...tally.faultsSeen].join(' ')}; sensor check: ${tally.stuckReports.length} reports (${JSON.stringify(tally.stuckReports.filter((r) => r.status === 'stuck'))}), stuck in truth: ${stuckTruth.join(', ') || 'none'}, ${tally.sensorAnomalies} anomalies`);
    assert.ok(tally.stuckReports.filter((r) => r.status === 'ok').length >= 4, 'each junction starts with an ok report');
    assert.ok(tally.stuckReports.every((r) => r.truthful), 'no stuck report without a stuck sensor in the truth');
    for (const fault of stuckTruth) {
      const [deviceId, sensor] = fault.split('/');
      assert.ok(tally.stuckReports.some((r) => r.deviceId === deviceId && r.stuck.includes(sensor)), `${fault} was reported`);
    }
    // Each junction's own baseline was learnt live after its warm-up and written beside the bundled seed.
    const live = JSON.parse(fs.readFileSync(path.join(red.userDir, 'models', 'city-sensors-live.json'), 'utf8'));
    assert.equal(live.task, 'anomaly');
    assert.ok(Object.keys(live.devices ?? {}).length >= 1, 'per-junction baselines written');
    assert.ok(live.anomaly, 'the bundled seed stays as the shared fallback');
    assert.ok((tally.outcomes.get('acked') ?? 0) >= 1, `commands acked: ${JSON.stringify([...tally.outcomes])}`);
    assert.equal(tally.outcomes.get('nacked') ?? 0, 0);
    assert.deepEqual(red.errors(), []);
  });

  it('health: activity ≥ 85% and the heart-rate anomaly model ≥ 90% against the truth, alerts within the cooldown', async () => {
    const tally = await runFlow(red, broker, 'health.json', 'health');
    const activityShare = accuracy(tally, 'activity');
    assert.ok(activityShare >= 0.85, `activity accuracy ${activityShare}`);
    // The anomaly model sees only windows at rest; its detection rate is measured in test/core/bundled-anomaly.
    const heartShare = accuracy(tally, 'heart');
    assert.ok(heartShare >= 0.9, `heart-rate anomaly accuracy ${heartShare}`);
    // Four wearers, a 2-minute cooldown: in 45 s at most one new command each (retries are not new commands).
    assert.ok((tally.outcomes.get('sent') ?? 0) <= 4, `commands sent: ${JSON.stringify([...tally.outcomes])}`);
    assert.equal(tally.outcomes.get('nacked') ?? 0, 0);
    assert.deepEqual(red.errors(), []);
  });

  it('live retraining: model-train writes new versions that model-predict switches to', async () => {
    await red.deploy(importFlow('live-retrain.json', broker.port));
    const file = path.join(red.userDir, 'models', 'occupancy-live.json');
    const deadline = Date.now() + 60000;
    while (!fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    assert.ok(fs.existsSync(file), 'model-train wrote the live model');
    const model = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(model.name, 'occupancy-live');
    assert.match(model.version, /^1\.0\.\d+$/);
    assert.ok(model.metrics.accuracy > 0.8, `held-out accuracy ${model.metrics.accuracy}`);
    assert.deepEqual(red.errors(), []);
  });

  describe('over MQTT 5 (mosquitto), acknowledged with correlation data', function () {
    let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;
    before(async () => (mosquitto = await startMosquitto()));
    after(() => mosquitto?.close());

    it('smart home with ack "mqtt5": commands acknowledged through response topic and correlation data', async () => {
      const tally = await runFlow(red, mosquitto, 'smart-home.json', 'home', '5', (node) => {
        if (node.type === 'actuator-command') node.ack = 'mqtt5';
      });
      assert.ok((tally.outcomes.get('acked') ?? 0) >= 1, `commands acked: ${JSON.stringify([...tally.outcomes])}`);
      assert.equal(tally.outcomes.get('timeout') ?? 0, 0);
      assert.ok(accuracy(tally, 'occupancy') >= 0.85);
      assert.deepEqual(red.errors(), []);
    });
  });
});
