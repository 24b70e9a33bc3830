import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, mqttClient, type Broker } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function windowFlow(brokerPort: number): object[] {
  return [
    tab('window e2e'),
    mqttBroker(brokerPort),
    mqttIn('in1', 'readings', ['win1'], { x: 100 }),
    { id: 'win1', type: 'feature-window', z: TAB, window: 'tumbling', size: 10, unit: 's', time: 'event', lateness: 0, features: ['count', 'sum'], persist: 'file', x: 300, y: 100, wires: [['out1'], []] },
    mqttOut('out1', 'windows', { x: 500 }),
  ];
}

describe('e2e: feature-window state survives Node-RED restarts (persist)', function () {
  let broker: Broker;
  let red: NodeRedProcess;

  before(async () => {
    broker = await startAedes();
    red = await NodeRedProcess.start();
    await red.deploy(windowFlow(broker.port));
  });
  after(async () => {
    await red?.dispose();
    await broker?.close();
  });

  async function publishUntilConnected(client: Awaited<ReturnType<typeof mqttClient>>, readings: object[]) {
    // After a (re)start the mqtt in node subscribes asynchronously: QoS 1 with a clean session would drop what
    // arrives before it subscribes, so wait for its subscription (the broker reports it as a connected client).
    await new Promise((r) => setTimeout(r, 1500));
    for (const r of readings) await client.client.publishAsync('readings', JSON.stringify(r), { qos: 1 });
  }

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`keeps open windows across a ${signal === 'SIGINT' ? 'clean stop' : 'kill -9'}`, async () => {
      const base = signal === 'SIGINT' ? T0 : T0 + 100000;
      const client = await mqttClient(broker.url);
      try {
        await client.client.subscribeAsync('windows', { qos: 1 });
        await publishUntilConnected(client, [1, 2, 3].map((v, i) => ({ deviceId: `dev-${signal}`, sensor: 'x', value: v, ts: base + i * 1000 })));
        // The node saves at most once a second and the file store flushes every second: wait for both.
        await new Promise((r) => setTimeout(r, 3000));
        await red.restart(signal);
        await publishUntilConnected(client, [
          // A redelivery of a reading from before the restart (same device, sensor, ts): counted once.
          { deviceId: `dev-${signal}`, sensor: 'x', value: 3, ts: base + 2000 },
          { deviceId: `dev-${signal}`, sensor: 'x', value: 4, ts: base + 5000 },
          { deviceId: `dev-${signal}`, sensor: 'x', value: 100, ts: base + 10000 },
        ]);
        await client.waitFor(() => client.json('windows').some((w) => w.deviceId === `dev-${signal}`), 15000, 'the window to close');
        const window = client.json('windows').find((w) => w.deviceId === `dev-${signal}`);
        assert.deepEqual(window.features, { 'x.count': 4, 'x.sum': 10 }, 'readings from before the restart are in the window, the repeat once');
        assert.equal(window.start, base);
        assert.deepEqual(red.errors(), []);
      } finally {
        await client.end();
      }
    });
  }
});
