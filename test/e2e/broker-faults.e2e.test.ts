/**
 * The broker goes away in the middle of a running flow (docs/reliability.md, Broker faults): mosquitto is stopped
 * and started again while readings stream in and commands go out. With QoS 1 and persistent sessions on both
 * sides no reading is lost end to end through sensor-ingest, and every command sent during the outage ends in a
 * final outcome (acked or timed out), never vanishes.
 */
import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { mqttClient, startMosquitto } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

/** A function node that keeps what it sees in flow context (memory), and an http endpoint that returns it. */
function recorder(id: string, key: string, body: string, x: number, y: number): object[] {
  return [
    { id, type: 'function', z: TAB, name: `record ${key}`, func: body, outputs: 0, x, y, wires: [] },
    { id: `${id}-get`, type: 'http in', z: TAB, url: `/${key}`, method: 'get', upload: false, x: 150, y: y + 400, wires: [[`${id}-read`]] },
    { id: `${id}-read`, type: 'function', z: TAB, func: `msg.payload = flow.get(${JSON.stringify(key)}) || null; return msg;`, outputs: 1, x: 350, y: y + 400, wires: [[`${id}-res`]] },
    { id: `${id}-res`, type: 'http response', z: TAB, statusCode: '', headers: {}, x: 550, y: y + 400, wires: [] },
  ];
}

function faultFlow(brokerPort: number): object[] {
  return [
    tab('broker faults'),
    mqttBroker(brokerPort, { clientid: 'iot-ai-e2e-node-red', cleansession: false }),
    // Readings: mqtt in (QoS 1, persistent session) → sensor-ingest → count every reading by its sequence number.
    mqttIn('in-readings', 'readings/#', ['ingest'], { datatype: 'auto-detect' }),
    { id: 'ingest', type: 'sensor-ingest', z: TAB, topicPattern: 'readings/{deviceId}/{sensor}', x: 350, y: 100, wires: [['count'], []] },
    ...recorder('count', 'readings', "const seen = flow.get('readings') || {}; seen[msg.payload.value] = (seen[msg.payload.value] || 0) + 1; flow.set('readings', seen);", 550, 100),
    // Commands: predictions over HTTP (the broker may be down) → actuator-command → mqtt out; replies come back.
    { id: 'predict', type: 'http in', z: TAB, url: '/predict', method: 'post', upload: false, x: 150, y: 200, wires: [['act', 'predict-res']] },
    { id: 'predict-res', type: 'http response', z: TAB, statusCode: '', headers: {}, x: 350, y: 250, wires: [] },
    mqttIn('in-replies', 'dev/+/set/reply', ['act'], { y: 300 }),
    { id: 'act', type: 'actuator-command', z: TAB, rules: [{ label: 'on', command: { state: 'ON' } }], topic: 'dev/{deviceId}/set', ack: 'payload', ackTimeout: 1500, retries: 4, x: 350, y: 200, wires: [['out-commands'], ['outcome']] },
    mqttOut('out-commands', '', { y: 200 }),
    ...recorder('outcome', 'outcomes', "const list = flow.get('outcomes') || []; list.push(msg.payload); flow.set('outcomes', list);", 550, 250),
  ];
}

describe('e2e: broker faults (mosquitto stopped and restarted mid-flow)', function () {
  this.timeout(120_000);
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  let red: NodeRedProcess;

  before(async () => {
    broker = await startMosquitto();
    // Node-RED retries a lost broker every 5 s by default; the outage here is a few seconds.
    red = await NodeRedProcess.start({ settings: { mqttReconnectTime: 500 } });
    await red.deploy(faultFlow(broker.port));
  });
  after(async () => {
    await red?.dispose();
    await broker?.close();
  });

  it('loses no reading and leaves no command without a final outcome', async () => {
    const publisher = await mqttClient(broker.url, { clientId: 'iot-ai-e2e-publisher', clean: false, reconnectPeriod: 200 });
    const device = await mqttClient(broker.url, { clientId: 'iot-ai-e2e-device', clean: false, reconnectPeriod: 200 });
    try {
      await device.client.subscribeAsync('dev/+/set', { qos: 1 });
      device.client.on('message', (_topic, payload) => {
        const command = JSON.parse(payload.toString());
        void device.client.publishAsync(command.replyTo, JSON.stringify({ correlationId: command.correlationId, ok: true }), { qos: 1 });
      });
      // The flow subscribes asynchronously after deploy: readings count from the moment it answers.
      const deadline = Date.now() + 20_000;
      while (!(await red.get('/readings'))?.[-1]) {
        if (Date.now() > deadline) throw new Error('the flow never counted a reading');
        await publisher.client.publishAsync('readings/probe/seq', JSON.stringify({ value: -1 }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 200));
      }

      const readings = 400;
      const published: Array<Promise<unknown>> = [];
      const predictions: Array<{ deviceId: string; at: number }> = [];
      const post = async (deviceId: string) => {
        predictions.push({ deviceId, at: Date.now() });
        const res = await fetch(`${red.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deviceId, prediction: { label: 'on', confidence: 1 } }) });
        assert.ok(res.ok);
      };
      let outage: { from: number; to: number } | undefined;
      const brokerCycle = (async () => {
        await new Promise((r) => setTimeout(r, 1500));
        const from = Date.now();
        await broker.stop();
        await new Promise((r) => setTimeout(r, 3000));
        await broker.start();
        outage = { from, to: Date.now() };
      })();
      // 400 readings over about 8 s, one prediction for a new device every 10th reading.
      for (let seq = 0; seq < readings; seq++) {
        published.push(publisher.client.publishAsync(`readings/meter/seq`, JSON.stringify({ value: seq }), { qos: 1 }));
        if (seq % 10 === 0) await post(`lamp-${seq / 10}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await brokerCycle;
      await Promise.all(published); // every reading acknowledged by the broker

      // Every reading reaches sensor-ingest (QoS 1 may deliver one twice; none may be missing).
      let seen: Record<string, number> = {};
      const readingsDeadline = Date.now() + 30_000;
      for (;;) {
        seen = (await red.get('/readings')) ?? {};
        if (Array.from({ length: readings }, (_, seq) => seen[seq]).every(Boolean) || Date.now() > readingsDeadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const missing = Array.from({ length: readings }, (_, seq) => seq).filter((seq) => !seen[seq]);
      assert.deepEqual(missing, [], `${missing.length} readings lost`);

      // Every command sent has exactly one final outcome.
      const final = (o: { status: string }) => ['acked', 'nacked', 'timeout'].includes(o.status);
      let outcomes: Array<{ deviceId: string; correlationId: string; status: string; detail: string }> = [];
      const outcomesDeadline = Date.now() + 1500 * 6 + 10_000;
      for (;;) {
        outcomes = (await red.get('/outcomes')) ?? [];
        const sent = outcomes.filter((o) => o.status === 'sent');
        if ((sent.length === predictions.length && sent.every((s) => outcomes.some((o) => o.correlationId === s.correlationId && final(o)))) || Date.now() > outcomesDeadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const sent = outcomes.filter((o) => o.status === 'sent');
      assert.equal(sent.length, predictions.length, 'one sent outcome per prediction');
      for (const s of sent) {
        const finals = outcomes.filter((o) => o.correlationId === s.correlationId && final(o));
        assert.equal(finals.length, 1, `${s.deviceId}: ${finals.length} final outcomes`);
      }
      assert.ok(outage, 'the broker went down and came back');
      const duringOutage = predictions.filter((p) => p.at >= outage!.from && p.at <= outage!.to);
      assert.ok(duringOutage.length >= 5, `${duringOutage.length} commands were sent while the broker was down`);
      const finalsOf = (ids: string[]) => outcomes.filter((o) => ids.includes(o.deviceId) && final(o)).map((o) => o.status);
      const byStatus = (list: string[]) => list.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
      console.log(
        `      outage ${outage!.to - outage!.from} ms; ${readings} readings, duplicates ${Object.values(seen).filter((n) => n > 1).length}; ` +
          `${predictions.length} commands, during the outage ${duringOutage.length}: ${JSON.stringify(byStatus(finalsOf(duringOutage.map((p) => p.deviceId))))}, all: ${JSON.stringify(byStatus(finalsOf(predictions.map((p) => p.deviceId))))}`,
      );
      assert.deepEqual(red.errors().filter((line) => !/mqtt|connection|ECONNREFUSED/i.test(line)), [], 'no error but the broker connection\'s');
    } finally {
      await publisher.end();
      await device.end();
    }
  });
});
