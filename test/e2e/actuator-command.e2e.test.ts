import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, startMosquitto, mqttClient, type Broker } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

/** predictions (mqtt in) → actuator-command → mqtt out; replies (mqtt in) wired back; outcomes published. */
function actuatorFlow(brokerPort: number, protocolVersion: '4' | '5', props: Record<string, unknown>, replyTopic: string): object[] {
  return [
    tab('actuator e2e'),
    mqttBroker(brokerPort, { protocolVersion }),
    mqttIn('pred', 'predictions', ['act'], { x: 100 }),
    mqttIn('replies', replyTopic, ['act'], { x: 100, y: 160 }),
    { id: 'act', type: 'actuator-command', z: TAB, rules: [{ label: 'on', command: { state: 'ON' } }], topic: 'dev/{deviceId}/set', ackTimeout: 800, retries: 1, x: 300, y: 100, wires: [['cmdOut'], ['outcomeOut']], ...props },
    mqttOut('cmdOut', '', { x: 500, y: 80 }),
    mqttOut('outcomeOut', 'outcomes', { x: 500, y: 140 }),
  ];
}

type Client = Awaited<ReturnType<typeof mqttClient>>;

async function predictUntilSeen(client: Client, deviceId: string) {
  // The flow's mqtt in nodes subscribe asynchronously after deploy: repeat until the first outcome appears.
  const deadline = Date.now() + 15000;
  while (!client.json('outcomes').some((o) => o.deviceId === deviceId)) {
    if (Date.now() > deadline) throw new Error('the flow never answered');
    await client.client.publishAsync('predictions', JSON.stringify({ deviceId, prediction: { label: 'on', confidence: 0.9 } }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
  }
}

function finalOutcome(client: Client, deviceId: string) {
  return client.json('outcomes').find((o) => o.deviceId === deviceId && ['acked', 'nacked', 'timeout'].includes(o.status));
}

describe('e2e: actuator-command with real brokers and simulated devices', function () {
  describe('aedes (MQTT 3.1.1), acknowledgement in the payload', function () {
    let broker: Broker;
    let red: NodeRedProcess;
    let device: Client;
    let observer: Client;

    before(async () => {
      broker = await startAedes();
      red = await NodeRedProcess.start();
      await red.deploy(actuatorFlow(broker.port, '4', { ack: 'payload' }, 'dev/+/set/reply'));
      // The simulated devices: "good" acks, "broken" nacks, "silent" never answers.
      device = await mqttClient(broker.url);
      await device.client.subscribeAsync('dev/+/set', { qos: 1 });
      device.client.on('message', (topic, payload) => {
        const deviceId = topic.split('/')[1];
        const command = JSON.parse(payload.toString());
        if (deviceId === 'silent') return;
        const reply = deviceId === 'broken' ? { correlationId: command.correlationId, ok: false, detail: 'relay jammed' } : { correlationId: command.correlationId, ok: true };
        void device.client.publishAsync(command.replyTo, JSON.stringify(reply), { qos: 1 });
      });
      observer = await mqttClient(broker.url);
      await observer.client.subscribeAsync('outcomes', { qos: 1 });
    });
    after(async () => {
      await device?.end();
      await observer?.end();
      await red?.dispose();
      await broker?.close();
    });

    it('a device that replies ok ends in acked; the command carried correlationId and replyTo', async () => {
      await predictUntilSeen(observer, 'good');
      await observer.waitFor(() => finalOutcome(observer, 'good') !== undefined, 10000, 'acked');
      const sent = observer.json('outcomes').find((o) => o.deviceId === 'good' && o.status === 'sent');
      const final = finalOutcome(observer, 'good');
      assert.equal(final.status, 'acked');
      assert.equal(final.correlationId, sent.correlationId);
      const command = device.received.find((m) => m.topic === 'dev/good/set');
      assert.deepEqual(JSON.parse(command!.payload.toString()), { state: 'ON', correlationId: sent.correlationId, replyTo: 'dev/good/set/reply' });
    });

    it('a device that replies ok:false ends in nacked with its detail', async () => {
      await predictUntilSeen(observer, 'broken');
      await observer.waitFor(() => finalOutcome(observer, 'broken') !== undefined, 10000, 'nacked');
      const final = finalOutcome(observer, 'broken');
      assert.equal(final.status, 'nacked');
      assert.match(final.detail, /relay jammed/);
    });

    it('a device that never replies gets one retry with the same correlation, then timeout', async () => {
      await predictUntilSeen(observer, 'silent');
      await observer.waitFor(() => finalOutcome(observer, 'silent') !== undefined, 10000, 'timeout');
      const sent = observer.json('outcomes').filter((o) => o.deviceId === 'silent' && o.status === 'sent');
      const final = finalOutcome(observer, 'silent');
      assert.equal(final.status, 'timeout');
      const commands = device.received.filter((m) => m.topic === 'dev/silent/set').map((m) => JSON.parse(m.payload.toString()));
      // predictUntilSeen may have sent more than one prediction; each sent command is tried twice, same correlation.
      for (const { correlationId } of sent) assert.equal(commands.filter((c) => c.correlationId === correlationId).length, 2);
      assert.deepEqual(red.errors(), []);
    });
  });

  describe('mosquitto (MQTT 5), correlation data', function () {
    let broker: Awaited<ReturnType<typeof startMosquitto>>;
    let red: NodeRedProcess;
    let device: Client;
    let observer: Client;

    before(async () => {
      broker = await startMosquitto();
      red = await NodeRedProcess.start();
      await red.deploy(actuatorFlow(broker.port, '5', { ack: 'mqtt5' }, 'dev/+/set/reply'));
      device = await mqttClient(broker.url, { protocolVersion: 5 });
      await device.client.subscribeAsync('dev/+/set', { qos: 1 });
      device.client.on('message', (_topic, _payload, packet) => {
        const { responseTopic, correlationData } = packet.properties ?? {};
        if (!responseTopic || !correlationData) return;
        void device.client.publishAsync(responseTopic, JSON.stringify({ ok: true }), { qos: 1, properties: { correlationData } });
      });
      observer = await mqttClient(broker.url, { protocolVersion: 5 });
      await observer.client.subscribeAsync('outcomes', { qos: 1 });
    });
    after(async () => {
      await device?.end();
      await observer?.end();
      await red?.dispose();
      await broker?.close();
    });

    it('sends responseTopic and correlationData with the command; the MQTT 5 reply acks it', async () => {
      await predictUntilSeen(observer, 'lamp5');
      await observer.waitFor(() => finalOutcome(observer, 'lamp5') !== undefined, 10000, 'acked');
      const sent = observer.json('outcomes').find((o) => o.deviceId === 'lamp5' && o.status === 'sent');
      assert.equal(finalOutcome(observer, 'lamp5').status, 'acked');
      const command = device.received.find((m) => m.topic === 'dev/lamp5/set')!;
      assert.deepEqual(JSON.parse(command.payload.toString()), { state: 'ON' }, 'the payload is the command alone');
      assert.equal(command.packet.properties?.responseTopic, 'dev/lamp5/set/reply');
      assert.equal(Buffer.from(command.packet.properties!.correlationData!).toString('utf8'), sent.correlationId);
      assert.deepEqual(red.errors(), []);
    });
  });

  describe('mosquitto: a topic MQTT forbids never costs the broker connection (#27)', function () {
    let broker: Awaited<ReturnType<typeof startMosquitto>>;
    let red: NodeRedProcess;
    let observer: Client;

    before(async () => {
      broker = await startMosquitto();
      red = await NodeRedProcess.start();
      await red.deploy(actuatorFlow(broker.port, '4', { ack: 'none', rules: [{ label: 'on', commandType: 'text', command: 'ON' }] }, 'unused/reply'));
      observer = await mqttClient(broker.url);
      await observer.client.subscribeAsync(['outcomes', 'dev/#'], { qos: 1 });
    });
    after(async () => {
      await observer?.end();
      await red?.dispose();
      await broker?.close();
    });

    it('refuses the commands whose topic holds U+0007 or U+FFFF (detail "topic"); other devices\' commands keep arriving', async () => {
      await predictUntilSeen(observer, 'warm-up');
      const devices = ['lamp-a', 'bell\u0007', 'lamp-b', 'x\uFFFF', 'lamp-c'];
      for (const deviceId of devices) {
        await observer.client.publishAsync('predictions', JSON.stringify({ deviceId, prediction: { label: 'on', confidence: 1 } }), { qos: 1 });
      }
      const outcomeOf = (deviceId: string) => observer.json('outcomes').find((o) => o.deviceId === deviceId);
      await observer.waitFor(() => devices.every((d) => outcomeOf(d) !== undefined), 15000, 'an outcome for every device');
      await observer.waitFor(() => ['a', 'b', 'c'].every((x) => observer.received.some((m) => m.topic === `dev/lamp-${x}/set`)), 15000, 'the good commands');
      assert.deepEqual(devices.map((d) => [outcomeOf(d).status, outcomeOf(d).detail.split(':')[0]]), [
        ['sent', 'rule 1'],
        ['refused', 'topic'],
        ['sent', 'rule 1'],
        ['refused', 'topic'],
        ['sent', 'rule 1'],
      ]);
      for (const m of observer.received.filter((m) => m.topic.startsWith('dev/'))) assert.equal(m.payload.toString(), 'ON');
      assert.deepEqual(red.logs.filter((line) => /Disconnected from broker/i.test(line)), [], 'the connection was never lost');
      assert.equal(red.logs.filter((line) => /\[warn\].*topic .*(U\+0007|U\+FFFF)/.test(line)).length, 2, 'one warning each');
    });
  });

  describe('restart with persist: a pending command is retried or times out, never forgotten', function () {
    let broker: Broker;
    let red: NodeRedProcess;
    let observer: Client;

    before(async () => {
      broker = await startAedes();
      red = await NodeRedProcess.start();
      await red.deploy(actuatorFlow(broker.port, '4', { ack: 'payload', ackTimeout: 3000, retries: 0, persist: 'file', cooldown: 600000 }, 'dev/+/set/reply'));
      observer = await mqttClient(broker.url);
      await observer.client.subscribeAsync('outcomes', { qos: 1 });
    });
    after(async () => {
      await observer?.end();
      await red?.dispose();
      await broker?.close();
    });

    it('a command pending across kill -9 ends in timeout after the restart, and the cooldown still holds', async () => {
      await predictUntilSeen(observer, 'heater');
      await new Promise((r) => setTimeout(r, 2200)); // node save (1 s) + file store flush (1 s)
      await red.restart('SIGKILL');
      await observer.waitFor(() => finalOutcome(observer, 'heater') !== undefined, 15000, 'the timeout after restart');
      assert.equal(finalOutcome(observer, 'heater').status, 'timeout');
      observer.received.length = 0;
      await predictUntilSeen(observer, 'heater');
      const after = observer.json('outcomes').find((o) => o.deviceId === 'heater');
      assert.deepEqual([after.status, after.detail], ['suppressed', 'cooldown'], 'the cooldown survived the restart');
    });
  });
});
