/**
 * The palette's Redis context store as users enable it (docs/scale-out.md): settings.js requires
 * `@iot-ai/node-red-iot-ai/context/redis` from the packed palette installed in the user directory. A persisted
 * feature-window's open window, written by one Node-RED that is then killed (`kill -9`), is resumed by a second
 * Node-RED with its own user directory that shares only Redis.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tab, TAB } from '../helpers/flows';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const MODULE_MARK = '__IOT_AI_REDIS_STORE__';

function flow(): object[] {
  const post = (name: string, y: number, wires: string[]) => [
    { id: `post-${name}`, type: 'http in', z: TAB, url: `/${name}`, method: 'post', upload: false, x: 150, y, wires: [[...wires, `res-${name}`]] },
    { id: `res-${name}`, type: 'http response', z: TAB, statusCode: '', headers: {}, x: 350, y: y + 40, wires: [] },
  ];
  return [
    tab('redis store'),
    ...post('reading', 100, ['win']),
    ...post('flush', 200, ['set-flush']),
    { id: 'set-flush', type: 'change', z: TAB, rules: [{ t: 'set', p: 'flush', pt: 'msg', to: 'true', tot: 'bool' }], x: 350, y: 200, wires: [['win']] },
    { id: 'win', type: 'feature-window', z: TAB, window: 'tumbling', size: 60, unit: 'min', time: 'event', features: ['count', 'max'], persist: 'redis', x: 550, y: 100, wires: [['keep'], []] },
    { id: 'keep', type: 'function', z: TAB, func: "flow.set('window', msg.payload); return null;", outputs: 1, x: 750, y: 100, wires: [[]] },
    { id: 'get-window', type: 'http in', z: TAB, url: '/window', method: 'get', upload: false, x: 150, y: 300, wires: [['read-window']] },
    { id: 'read-window', type: 'function', z: TAB, func: "msg.payload = flow.get('window') || null; return msg;", outputs: 1, x: 350, y: 300, wires: [['res-window']] },
    { id: 'res-window', type: 'http response', z: TAB, statusCode: '', headers: {}, x: 550, y: 300, wires: [] },
  ];
}

async function post(red: NodeRedProcess, name: string, body: unknown): Promise<void> {
  const res = await fetch(`${red.url}/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST /${name}: ${res.status}`);
}

describe('e2e: the Redis context store shared by two Node-RED instances', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.close());

  it('a second instance resumes the open window the first (killed with kill -9) left in Redis', async () => {
    const start = () =>
      NodeRedProcess.start({
        settings: { contextStorage: { default: { module: 'memory' }, redis: { module: MODULE_MARK, config: { url: redis.url, prefix: 'e2e' } } } },
        flows: flow(),
        // As users write it: settings.js requires the store from the palette installed in the user directory.
        prepare: (userDir) => {
          const file = path.join(userDir, 'settings.js');
          fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(JSON.stringify(MODULE_MARK), "require('@iot-ai/node-red-iot-ai/context/redis')"));
        },
      });
    const first = await start();
    let second: NodeRedProcess | undefined;
    try {
      assert.ok(first.logs.some((line) => /Context store\s*:\s*'redis' \[module=iot-ai redis\]/.test(line)), first.logs.filter((l) => /context/i.test(l)).join('\n'));
      for (let seq = 0; seq < 30; seq++) await post(first, 'reading', { deviceId: 'meter', sensor: 'seq', value: seq, ts: T0 + seq * 1000 });
      await new Promise((r) => setTimeout(r, 1500)); // the node saves at most 1 s after a change
      await first.stop('SIGKILL');
      assert.ok((await redis.client.keys('e2e:win:*')).length === 1, 'the window state is in Redis');

      second = await start();
      await post(second, 'flush', {});
      const deadline = Date.now() + 5000;
      let window: { features: Record<string, number> } | null = null;
      while (!window && Date.now() < deadline) {
        window = await second.get('/window');
        if (!window) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(window?.features, { 'seq.count': 30, 'seq.max': 29 }, 'all 30 readings the first instance took are in the window');
      assert.deepEqual(second.errors(), []);
    } finally {
      await first.dispose();
      await second?.dispose();
    }
  });
});
