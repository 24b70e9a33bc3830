import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Ingestor, parseIngestConfig } from '../../src/core/ingest';
import { ingestSensors } from '../../src/core/sim';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');
import sensorSim = require('../../src/nodes/sensor-sim');

// The core switch node (of the Node-RED under test) routes replies and states back to actuator-command, as a
// user's flow would.
const runtime = process.env.NODE_RED_PATH ? path.resolve(process.env.NODE_RED_PATH) : require.resolve('node-red');
const switchNode = require(require.resolve('@node-red/nodes/core/function/10-switch.js', { paths: [runtime] }));

const START = '2024-06-03T20:00:00Z';

/** Loads a sensor-sim under test (one output) and collects what it sends. */
async function load(props: Record<string, unknown>) {
  await helper.load(sensorSim, harness('sensor-sim', { scenario: 'home', devices: 2, interval: 20, seed: 3, startTime: START, ...props }, 1));
  return { n1: getNode('n1'), out: collect('out1'), completed: collect('completed'), caught: collect('caught') };
}

const readingsOf = (messages: Array<Record<string, any>>) => messages.filter((m) => m.topic.endsWith('/sensors'));

describe('sensor-sim node', function () {
  this.timeout(20_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('sends device payloads with msg.topic and msg.truth, the same for the same seed and start', async () => {
    const first = await load({ format: 'json' });
    const a = (await first.out.next(12)).map((m) => ({ topic: m.topic, payload: m.payload, truth: m.truth }));
    await helper.unload();
    const second = await load({ format: 'json' });
    const b = (await second.out.next(12)).map((m) => ({ topic: m.topic, payload: m.payload, truth: m.truth }));
    // The clock may have skipped a slot at deploy; compare from the first reading both runs share.
    const key = (m: { payload: any }) => `${m.payload.deviceId}@${m.payload.ts}`;
    const shared = a.findIndex((m) => b.some((n) => key(n) === key(m)));
    assert.ok(shared >= 0 && shared < 4, 'the runs overlap');
    const from = b.findIndex((n) => key(n) === key(a[shared]));
    assert.deepEqual(a.slice(shared, shared + 6), b.slice(from, from + 6));

    for (const msg of a) {
      assert.match(msg.topic, /^home\/(living-1|kitchen-1)\/sensors$/);
      assert.ok(['occupied', 'empty'].includes(msg.truth.occupancy));
      assert.ok(msg.payload.ts >= Date.parse(START), 'readings carry simulated time');
    }
    await helper.unload();
    const other = await load({ format: 'json', seed: 4 });
    const c = (await other.out.next(12)).map((m) => m.payload);
    assert.notDeepEqual(
      c.map((p) => p.temperature),
      a.map((m) => m.payload.temperature),
    );
  });

  it('waits for start without autostart, stops on stop, and finishes every input with done()', async () => {
    const { n1, out, completed } = await load({ autostart: false });
    await settle(150);
    assert.equal(out.messages.length, 0, 'nothing before start');
    assert.equal(lastStatus(n1)?.fill, 'grey');
    n1.receive({ payload: 'start' });
    await out.next(5);
    await settle(600); // the status is refreshed at most twice a second
    assert.equal(lastStatus(n1)?.fill, 'green');
    n1.receive({ topic: 'stop' });
    await completed.next(2);
    await settle(50);
    const stoppedAt = out.messages.length;
    await settle(200);
    assert.equal(out.messages.length, stoppedAt, 'nothing after stop');
    await settle(600);
    assert.equal(lastStatus(n1)?.fill, 'grey');
    // (The test runtime has no message catalogue: RED._ gives the keys.)
    assert.match(lastStatus(n1)?.text, new RegExp(`^sensor-sim.status.stopped · ${stoppedAt} sensor-sim.status.readings`));
    n1.receive({ payload: 'hello' });
    await completed.next(3);
    const warned = (n1.warn as any).getCalls().map((c: any) => String(c.args[0]));
    assert.ok(warned.some((w: string) => /sensor-sim.warn.ignored/.test(w)), warned.join('\n'));
  });

  it('acknowledges commands: reply to replyTo, MQTT 5 response with the correlation data, or the new state', async () => {
    const { n1, out, completed, caught } = await load({ autostart: false });
    n1.receive({ topic: 'home/living-1/set', payload: { light: 'OFF', correlationId: 'c-1', replyTo: 'home/living-1/set/reply' } });
    n1.receive({ topic: 'home/kitchen-1/set', payload: { setpoint: 18 }, responseTopic: 'resp/kitchen', correlationData: Buffer.from('xyz') });
    n1.receive({ topic: 'home/kitchen-1/set', payload: '{"light":"ON"}' });
    n1.receive({ topic: 'home/kitchen-1/set', payload: { setpoint: 'hot' }, correlationId: 'ignored', responseTopic: 'resp/kitchen' });
    const [reply, response, state, refused] = await out.next(4);
    assert.deepEqual([reply.topic, reply.payload], ['home/living-1/set/reply', { correlationId: 'c-1', ok: true }]);
    assert.deepEqual([response.topic, response.payload], ['resp/kitchen', { ok: true }]);
    assert.deepEqual(response.correlationData, Buffer.from('xyz'));
    assert.deepEqual([state.topic, state.payload], ['home/kitchen-1/state', { deviceId: 'kitchen-1', light: 'ON', setpoint: 18 }]);
    assert.equal(refused.payload.ok, false);
    assert.match(refused.payload.detail, /setpoint must be a number/);
    assert.equal(reply.truth, undefined, 'replies carry no truth');

    n1.receive({ topic: 'home/garage-1/set', payload: { light: 'ON' } });
    n1.receive({ topic: 'home/living-1/set', payload: { colour: 'red' } });
    await completed.next(6);
    await settle(50);
    assert.equal(out.messages.length, 4, 'no reply for an unknown device or a refused command that asked for none');
    const warned = (n1.warn as any).getCalls().map((c: any) => String(c.args[0]));
    assert.deepEqual(
      warned.filter((w: string) => /^sensor-sim.warn/.test(w)),
      ['sensor-sim.warn.unknownDevice', 'sensor-sim.warn.refused'],
    );
    assert.equal(caught.messages.length, 0, 'commands are not node errors');
  });

  it("commands change what the devices measure: a setback cools the room", async () => {
    // An hour of simulated time a second; compare the living room an hour later with and without a setback.
    const props = { autostart: false, interval: 60_000, speed: 3600, devices: 1, faults: false, format: 'json' };
    const temperatureAfterAnHour = async (command?: object) => {
      const { n1, out } = await load(props);
      if (command) {
        n1.receive({ topic: 'home/living-1/set', payload: command });
        await out.next(1);
      }
      n1.receive({ payload: 'start' });
      const start = Date.parse(START);
      for (;;) {
        const late = readingsOf(out.messages).find((m) => m.payload.ts >= start + 65 * 60_000);
        if (late) return late.payload.temperature as number;
        await settle(50);
      }
    };
    const baseline = await temperatureAfterAnHour();
    await helper.unload();
    const setback = await temperatureAfterAnHour({ setpoint: 12 });
    assert.ok(setback < baseline - 3, `${setback} °C with the setback vs ${baseline} °C without`);
  });

  for (const ack of ['payload', 'mqtt5', 'state'] as const) {
    it(`closes the loop with actuator-command: its ${ack} acknowledgement acks the command`, async () => {
      // actuator-command → sensor-sim → (replies and states only, by topic) → actuator-command
      const flow = [
        { id: 'f1', type: 'tab', label: 'loop' },
        { id: 'act', z: 'f1', type: 'actuator-command', rules: [{ label: 'empty', command: { light: 'OFF', setpoint: 17 } }], topic: 'home/{deviceId}/set', ack, ackTimeout: 3000, wires: [['sim'], ['outcomes']] },
        { id: 'sim', z: 'f1', type: 'sensor-sim', scenario: 'home', devices: 2, autostart: false, startTime: START, wires: [['route']] },
        { id: 'route', z: 'f1', type: 'switch', property: 'topic', rules: [{ t: 'regex', v: '/(reply|state)$|^responses/' }], checkall: 'true', outputs: 1, wires: [['act', 'acks']] },
        { id: 'outcomes', z: 'f1', type: 'helper' },
        { id: 'acks', z: 'f1', type: 'helper' },
      ];
      const mqtt5 = ack === 'mqtt5' ? { replyTopic: 'responses/{deviceId}' } : {};
      Object.assign(flow[1], mqtt5);
      // x and y make them flow nodes rather than config nodes.
      await helper.load([actuatorCommand, sensorSim, switchNode], flow.map((n) => (n.type === 'tab' ? n : { x: 100, y: 100, ...n })));
      const outcomes = collect('outcomes');
      const acks = collect('acks');
      getNode('act').receive({ payload: { deviceId: 'kitchen-1', prediction: { label: 'empty', confidence: 0.9 } } });
      const [sent, final] = await outcomes.next(2);
      assert.equal(sent.payload.status, 'sent');
      assert.deepEqual([final.payload.deviceId, final.payload.status], ['kitchen-1', 'acked'], JSON.stringify(final.payload));
      const [answer] = acks.messages;
      if (ack === 'state') assert.deepEqual(answer.payload, { deviceId: 'kitchen-1', light: 'OFF', setpoint: 17 });
      else assert.equal(answer.payload.ok, true);
      if (ack === 'mqtt5') assert.equal(answer.topic, 'responses/kitchen-1');
    });
  }

  it('its output is what sensor-ingest reads: no rejects but for the deliberately broken payloads', async () => {
    const { out } = await load({ scenario: 'city', devices: 3, interval: 1000, speed: 600, format: 'senml' });
    const messages = await out.next(2500, 15_000);
    const parsed = parseIngestConfig({ sensors: ingestSensors('city') });
    assert.ok(!('error' in parsed));
    const ingestor = new Ingestor(parsed.config);
    let broken = 0;
    for (const msg of messages) {
      const { readings, rejects } = ingestor.ingest(msg.payload, msg.topic, Date.now() + 1e12);
      if (msg.malformed) {
        broken++;
        assert.ok(rejects.length > 0, `${msg.malformed}: ${JSON.stringify(msg.payload)}`);
      } else {
        assert.deepEqual(rejects, [], JSON.stringify(msg.payload));
        assert.ok(readings.length > 0);
        assert.equal(`city/${readings[0].deviceId}/sensors`, msg.topic);
        assert.ok(['free', 'moderate', 'heavy'].includes(msg.truth.congestion));
      }
    }
    assert.ok(broken > 0 && broken < messages.length * 0.02, `${broken} broken payloads of ${messages.length}`);
  });

  it('shows live counts in its status', async () => {
    const { n1, out } = await load({});
    await out.next(10);
    n1.receive({ topic: 'home/living-1/set', payload: { light: 'ON' } });
    await settle(700);
    const status = lastStatus(n1);
    assert.equal(status?.fill, 'green');
    assert.match(status?.text, /^\d+ sensor-sim.status.readings · 1 sensor-sim.status.commands$/);
  });

  it('a bad configuration is a node fault: status and log at deploy, done(err) for Catch nodes', async () => {
    const { n1, out, caught } = await load({ devices: 0, speed: 'fast' });
    assert.equal(lastStatus(n1)?.fill, 'red');
    const logged = (n1.error as any).getCalls().map((c: any) => String(c.args[0]));
    assert.ok(logged.some((m: string) => /devices must be at least 1, got 0; speed must be a number/.test(m)), logged.join('\n'));
    n1.receive({ payload: 'start' });
    const [error] = await caught.next(1);
    assert.match(error.error.message, /devices must be at least 1/);
    await settle(100);
    assert.equal(out.messages.length, 0);
  });
});
