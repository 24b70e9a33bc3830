/**
 * The scale-out deployment of docs/scale-out.md as real processes, for the e2e proof (test/e2e/scale-out.e2e.test.ts)
 * and the throughput bench (bench/scale-out.ts): mosquitto and redis-server on loopback, one router, W shard workers
 * (plus standbys), and a single instance on the same stream as the reference.
 *
 *   devices ─► sensors/<id> ─► router (sensor-ingest shards: W) ─► iot/shard/<k>/<id> ─► worker owning shard k
 *   worker: mqtt in (${IOT_AI_SHARD_TOPIC}, client ${IOT_AI_SHARD_CLIENT}, clean session off)
 *           ─► feature-window (persist: redis) ─► out/windows
 *           ─► prediction ─► actuator-command (persist: redis, onChangeOnly) ─► out/cmd/<id>
 *   single: mqtt in sensors/# ─► sensor-ingest ─► the same nodes ─► single/windows, single/cmd/<id>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeRedProcess } from './nodered-process';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from './flows';

const MODULE_MARK = '__IOT_AI_REDIS_STORE__';
/** Event-time windows of 10 readings (one reading per device per simulated second). */
export const WINDOW_MS = 10_000;
export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Readings of device `i` at tick `t` (simulated second): a mean that crosses 25 at a device-specific tick, or never. */
export function reading(i: number, t: number): { deviceId: string; t: number; ts: number } {
  const base = 19 + (i % 5) * 0.5;
  const switchAt = [2, 22, Infinity][i % 3];
  return { deviceId: `dev-${String(i).padStart(4, '0')}`, t: Math.round((base + (t >= switchAt ? 10 : 0)) * 10) / 10, ts: T0 + t * 1000 };
}

/** feature-window → windows out; → a prediction → actuator-command (ON above 25, sent on change only) → commands out. */
function processing(prefix: string, persist: string): object[] {
  return [
    { id: 'win', type: 'feature-window', z: TAB, window: 'tumbling', size: WINDOW_MS / 1000, unit: 's', time: 'event', sensors: ['t'], features: ['mean', 'count'], persist, x: 450, y: 100, wires: [['out-windows', 'predict'], []] },
    mqttOut('out-windows', `${prefix}windows`, { x: 700, y: 60 }),
    {
      id: 'predict',
      type: 'change',
      z: TAB,
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"deviceId": payload.deviceId, "prediction": {"value": payload.features."t.mean"}}', tot: 'jsonata' }],
      x: 600,
      y: 140,
      wires: [['act']],
    },
    { id: 'act', type: 'actuator-command', z: TAB, rules: [{ above: 25, command: { state: 'ON' } }], topic: `${prefix}cmd/{deviceId}`, onChangeOnly: true, ack: 'none', persist, x: 750, y: 140, wires: [['out-cmd'], []] },
    mqttOut('out-cmd', '', { x: 900, y: 140 }),
  ];
}

export function routerFlow(brokerPort: number, shards: number): object[] {
  return [
    tab('router'),
    mqttBroker(brokerPort, { clientid: 'scale-router', cleansession: false }),
    mqttIn('in', 'sensors/#', ['ingest'], { datatype: 'json' }),
    { id: 'ingest', type: 'sensor-ingest', z: TAB, format: 'json', shards, x: 350, y: 100, wires: [['out'], []] },
    mqttOut('out', '', { x: 550, y: 100 }),
  ];
}

export function workerFlow(brokerPort: number): object[] {
  return [
    tab('worker'),
    // The shard this process claimed decides the broker session and the subscription (env set by the store's open()).
    mqttBroker(brokerPort, { clientid: '${IOT_AI_SHARD_CLIENT}', cleansession: false }),
    mqttIn('in', '${IOT_AI_SHARD_TOPIC}', ['win'], { datatype: 'json' }),
    ...processing('out/', 'redis'),
  ];
}

export function singleFlow(brokerPort: number): object[] {
  return [
    tab('single'),
    mqttBroker(brokerPort, { clientid: 'scale-single', cleansession: false }),
    mqttIn('in', 'sensors/#', ['ingest'], { datatype: 'json' }),
    { id: 'ingest', type: 'sensor-ingest', z: TAB, format: 'json', x: 250, y: 100, wires: [['win'], []] },
    ...processing('single/', ''),
  ];
}

/** A worker Node-RED: the palette's Redis store as users enable it, claiming one of `shards` shards at start. */
export function startWorker(redisUrl: string, shards: number, leaseMs: number, flows: object[], waitForFlows = true): Promise<NodeRedProcess> {
  return NodeRedProcess.start({
    settings: {
      mqttReconnectTime: 500,
      contextStorage: {
        default: { module: 'memory' },
        redis: { module: MODULE_MARK, config: { url: redisUrl, prefix: 'scale', shard: { count: shards, leaseMs, clientId: 'scale-worker-{shard}' } } },
      },
    },
    flows,
    waitForFlows,
    prepare: (userDir) => {
      const file = path.join(userDir, 'settings.js');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(JSON.stringify(MODULE_MARK), "require('@iot-ai/node-red-iot-ai/context/redis')"));
    },
  });
}

/** The shard a worker's log says it owns. */
export function ownedShard(red: NodeRedProcess): number | undefined {
  const line = red.logs.find((l) => /owns shard \d+ of/.test(l));
  return line === undefined ? undefined : Number(/owns shard (\d+)/.exec(line)![1]);
}

/** "Started flows" comes before the broker connection: waits until each instance is connected, then a second for its subscriptions. */
export async function waitConnected(reds: readonly NodeRedProcess[]): Promise<void> {
  for (const red of reds) while (!red.logs.some((l) => /Connected to broker/.test(l))) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000));
}
