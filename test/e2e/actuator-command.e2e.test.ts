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
        if (deviceId === 'silent') {
          // Someone who read the command (not the device) replies for it, on another device's reply topic.
          void device.client.publishAsync('dev/intruder/set/reply', JSON.stringify({ correlationId: command.correlationId, ok: true }), { qos: 1 });
          return;
        }
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
      const command = JSON.parse(device.received.find((m) => m.topic === 'dev/good/set')!.payload.toString());
      assert.deepEqual(command, { state: 'ON', correlationId: command.correlationId, replyTo: 'dev/good/set/reply' });
      assert.notEqual(command.correlationId, sent.correlationId, 'the device gets a reply token, not the public id');
    });

    it('a device that replies ok:false ends in nacked with its detail', async () => {
      await predictUntilSeen(observer, 'broken');
      await observer.waitFor(() => finalOutcome(observer, 'broken') !== undefined, 10000, 'nacked');
      const final = finalOutcome(observer, 'broken');
      assert.equal(final.status, 'nacked');
      assert.match(final.detail, /relay jammed/);
    });

    it('a device that never replies gets one retry with the same correlation, then timeout; forged replies ack nothing', async () => {
      // Whoever reads the outcomes replies with their correlationId on the right reply topic.
      observer.client.on('message', (topic, payload) => {
        if (topic !== 'outcomes') return;
        const outcome = JSON.parse(payload.toString());
        if (outcome.deviceId === 'silent' && outcome.status === 'sent') {
          void observer.client.publishAsync('dev/silent/set/reply', JSON.stringify({ correlationId: outcome.correlationId, ok: true }), { qos: 1 });
        }
      });
      await predictUntilSeen(observer, 'silent');
      await observer.waitFor(() => finalOutcome(observer, 'silent') !== undefined, 10000, 'timeout');
      const sent = observer.json('outcomes').filter((o) => o.deviceId === 'silent' && o.status === 'sent');
      const final = finalOutcome(observer, 'silent');
      assert.equal(final.status, 'timeout');
      const commands = device.received.filter((m) => m.topic === 'dev/silent/set').map((m) => JSON.parse(m.payload.toString()));
      // predictUntilSeen may have sent more than one prediction; each sent command is tried twice, same token.
      const tokens = new Set(commands.map((c) => c.correlationId));
      assert.equal(tokens.size, sent.length);
      for (const token of tokens) assert.equal(commands.filter((c) => c.correlationId === token).length, 2);
      assert.ok(red.logs.some((line) => /ignored a reply for .* on "dev\/intruder\/set\/reply"/.test(line)), 'the reply on another topic was ignored with a warning');
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
      assert.notEqual(Buffer.from(command.packet.properties!.correlationData!).toString('utf8'), sent.correlationId, 'a reply token, not the public id');
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

  /**
   * Issue #14 item 5: an ack reaches the store within 50 ms (the node's urgent save), then the store writes it: the
   * localfilesystem store after its flushInterval (here 1 s), or at once with `cache: false`. A kill -9 in between
   * restores the command as pending, and it is sent again (at-least-once). Kills at a range of delays after the
   * acked outcome measure that window; the figures go to docs/reliability.md.
   */
  describe('kill -9 soon after an ack: the window in which an acked command can be sent again', function () {
    this.timeout(600_000);
    // replyDelay: the device answers once the pending command is surely on disk (node save 1 s + the store's flush),
    // so that what a kill can lose is the ack alone.
    const stores = [
      { store: 'file', label: 'localfilesystem, flushInterval 1 s', replyDelay: 2500, delays: [0, 100, 300, 600, 900, 1200, 1600, 2500], safeFrom: 2000 },
      { store: 'direct', label: 'localfilesystem, cache: false', replyDelay: 1500, delays: [0, 20, 50, 100, 200, 400, 800], safeFrom: 500 },
    ];
    for (const { store, label, replyDelay, delays, safeFrom } of stores) {
      const ackTimeout = replyDelay + 2000;
      it(`${label}: re-sent only when killed within the window, never when killed ${safeFrom} ms or more after the ack`, async () => {
        const broker = await startAedes();
        const red = await NodeRedProcess.start({
          settings: {
            contextStorage: {
              default: { module: 'memory' },
              file: { module: 'localfilesystem', config: { flushInterval: 1 } },
              direct: { module: 'localfilesystem', config: { cache: false, base: 'context-direct' } },
            },
          },
        });
        const device = await mqttClient(broker.url);
        const observer = await mqttClient(broker.url);
        try {
          await red.deploy(actuatorFlow(broker.port, '4', { ack: 'payload', ackTimeout, retries: 1, persist: store, cooldown: 600000 }, 'dev/+/set/reply'));
          await device.client.subscribeAsync('dev/+/set', { qos: 1 });
          // A device that acks every command it gets, re-sends included.
          device.client.on('message', (_topic, payload) => {
            const command = JSON.parse(payload.toString());
            const reply = JSON.stringify({ correlationId: command.correlationId, ok: true });
            setTimeout(() => void device.client.publishAsync(command.replyTo, reply, { qos: 1 }), replyDelay);
          });
          await observer.client.subscribeAsync('outcomes', { qos: 1 });
          const rows: Array<{ delay: number; killedAfter: number; sends: number; finals: number }> = [];
          for (const [i, delay] of delays.entries()) {
            const deviceId = `lamp-${i}`;
            await predictUntilSeen(observer, deviceId);
            await observer.waitFor(() => finalOutcome(observer, deviceId) !== undefined, 15000, `${deviceId} acked`);
            const ackedAt = Date.now();
            await new Promise((r) => setTimeout(r, delay));
            const killedAfter = Date.now() - ackedAt;
            await red.restart('SIGKILL');
            // A command restored as pending is re-sent after the 3 s restart grace; give it that and its ack time.
            await new Promise((r) => setTimeout(r, 3000 + replyDelay + 2000));
            const sends = device.received.filter((m) => m.topic === `dev/${deviceId}/set`).length;
            const finals = observer.json('outcomes').filter((o) => o.deviceId === deviceId && ['acked', 'nacked', 'timeout'].includes(o.status)).length;
            rows.push({ delay, killedAfter, sends, finals });
          }
          console.log(`      ${label}: ${rows.map((r) => `killed ${r.killedAfter} ms after the ack: ${r.sends} send(s), ${r.finals} final outcome(s)`).join('; ')}`);
          for (const row of rows) {
            // At least once, at most twice: the first send, and one re-send of a command whose ack the kill lost.
            assert.ok(row.sends >= 1 && row.sends <= 2, JSON.stringify(row));
            assert.equal(row.finals, row.sends, `one final outcome per send: ${JSON.stringify(row)}`);
            if (row.killedAfter >= safeFrom) assert.equal(row.sends, 1, `re-sent though killed ${row.killedAfter} ms after its ack`);
          }
        } finally {
          await device.end();
          await observer.end();
          await red.dispose();
          await broker.close();
        }
      });
    }
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
