/**
 * anomaly-detect in a real Node-RED, from the packed tarball: SenML packs over HTTP → sensor-ingest → feature-window
 * → anomaly-detect (persist on the localfilesystem store). A room learns its normal, Node-RED is stopped and started
 * again, and the room goes on from what it learnt: no second learning period, and one alarm for a heat spike.
 */
import { strict as assert } from 'node:assert';
import { tab, TAB } from '../helpers/flows';
import { NodeRedProcess } from '../helpers/nodered-process';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function detectFlow(): object[] {
  return [
    tab('anomaly-detect'),
    { id: 'post', type: 'http in', z: TAB, url: '/senml', method: 'post', upload: false, x: 120, y: 100, wires: [['ingest', 'res']] },
    { id: 'res', type: 'http response', z: TAB, statusCode: '', headers: {}, x: 320, y: 160, wires: [] },
    { id: 'ingest', type: 'sensor-ingest', z: TAB, format: 'senml', x: 320, y: 100, wires: [['win'], []] },
    { id: 'win', type: 'feature-window', z: TAB, window: 'tumbling', size: 60, unit: 's', time: 'event', features: ['mean', 'max'], persist: 'file', x: 520, y: 100, wires: [['detect'], []] },
    { id: 'detect', type: 'anomaly-detect', z: TAB, learn: 30, refractory: 20, persist: 'file', x: 720, y: 100, wires: [['keep'], ['keep-reject']] },
    { id: 'keep', type: 'function', z: TAB, func: "const list = flow.get('predictions') || []; list.push({ end: msg.payload.end, prediction: msg.payload.prediction }); flow.set('predictions', list); return null;", outputs: 1, x: 920, y: 100, wires: [[]] },
    { id: 'keep-reject', type: 'function', z: TAB, func: "const list = flow.get('rejects') || []; list.push(msg.error); flow.set('rejects', list); return null;", outputs: 1, x: 920, y: 140, wires: [[]] },
    { id: 'get', type: 'http in', z: TAB, url: '/predictions', method: 'get', upload: false, x: 120, y: 240, wires: [['read']] },
    { id: 'read', type: 'function', z: TAB, func: "msg.payload = { predictions: flow.get('predictions') || [], rejects: flow.get('rejects') || [] }; flow.set('predictions', []); return msg;", outputs: 1, x: 320, y: 240, wires: [['res-get']] },
    { id: 'res-get', type: 'http response', z: TAB, statusCode: '', headers: {}, x: 520, y: 240, wires: [] },
  ];
}

/** Minutes `from`..`to` of room1's temperature, 6 readings a minute, as one SenML pack; `hot` minutes run 12 °C higher. */
function pack(from: number, to: number, hot: (minute: number) => boolean): object[] {
  const records: object[] = [];
  for (let minute = from; minute < to; minute++) {
    for (let k = 0; k < 6; k++) {
      const wobble = Math.sin(minute * 0.7 + k) * 0.3 + Math.cos(minute * 1.3) * 0.2;
      records.push({ bn: 'room1:', n: 'temp', u: 'Cel', v: 21 + wobble + (hot(minute) ? 12 : 0), t: (T0 + minute * 60_000 + k * 10_000) / 1000 });
    }
  }
  return records;
}

async function post(red: NodeRedProcess, body: unknown): Promise<void> {
  const res = await fetch(`${red.url}/senml`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST /senml: ${res.status}`);
}

type Seen = { predictions: Array<{ end: number; prediction: Record<string, any> }>; rejects: unknown[] };

async function predictions(red: NodeRedProcess, atLeast: number): Promise<Seen> {
  const all: Seen = { predictions: [], rejects: [] };
  for (let i = 0; i < 100 && all.predictions.length < atLeast; i++) {
    const seen: Seen = await red.get('/predictions');
    all.predictions.push(...seen.predictions);
    all.rejects = seen.rejects;
    if (all.predictions.length < atLeast) await new Promise((r) => setTimeout(r, 100));
  }
  return all;
}

describe('e2e: anomaly-detect learns as data flows, keeps it across a restart, and alarms once', function () {
  this.timeout(120_000);

  it('a room learns 80 windows, Node-RED restarts, the room goes on learnt and raises one alarm for a 3-minute heat spike', async () => {
    const red = await NodeRedProcess.start({
      settings: { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { flushInterval: 1 } } } },
      flows: detectFlow(),
    });
    try {
      for (let m = 0; m < 80; m += 20) await post(red, pack(m, m + 20, () => false));
      const before = await predictions(red, 79);
      assert.ok(before.predictions.length >= 79, `${before.predictions.length} windows scored before the restart`);
      assert.ok(before.predictions.slice(0, 30).every((p) => p.prediction.likelihood === 0.5), 'the first 30 windows learn');
      assert.ok(before.predictions.slice(30).every((p) => p.prediction.likelihood !== 0.5), 'then they are judged');
      assert.deepEqual(before.predictions.filter((p) => p.prediction.episodeStart), [], 'no alarm on an ordinary room');

      await red.restart('SIGINT'); // a clean stop: close saves, the store flushes

      for (let m = 80; m < 160; m += 20) await post(red, pack(m, m + 20, (minute) => minute >= 120 && minute < 123));
      const after = await predictions(red, 79);
      assert.ok(after.predictions.length >= 79, `${after.predictions.length} windows scored after the restart`);
      assert.ok(after.predictions.every((p) => p.prediction.likelihood !== 0.5), 'no second learning period after the restart');
      const alarms = after.predictions.filter((p) => p.prediction.episodeStart);
      assert.equal(alarms.length, 1, `one alarm: ${JSON.stringify(alarms)}`);
      const spikeEnd = T0 + 121 * 60_000;
      assert.ok(alarms[0].end <= spikeEnd + 60_000, 'the alarm comes with the spike');
      assert.equal(alarms[0].prediction.label, 'anomaly');
      assert.deepEqual(alarms[0].prediction.model, { name: 'forecast' });
      assert.deepEqual(after.rejects, []);
      assert.deepEqual(red.errors(), []);
    } finally {
      await red.dispose();
    }
  });
});
