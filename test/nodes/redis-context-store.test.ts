/**
 * The palette's Redis context store (src/redis/context-store.ts) against a real redis-server: Node-RED's store
 * contract (async get/set/keys with single keys and arrays, delete, clean), its Redis layout, and a persisted
 * feature-window that resumes its open windows in a new runtime that shares only Redis.
 */
import { strict as assert } from 'node:assert';
import { redisContextStore, type RedisContextStore } from '../../src/redis/context-store';
import { startRedis, type RedisServer } from '../helpers/redis';
import { freePort } from '../helpers/nodered-process';
import { helper, harness, collect, getNode } from '../helpers/runtime';
import featureWindow = require('../../src/nodes/feature-window');

function callApi(store: RedisContextStore) {
  return {
    get: (scope: string, key: string | string[]) =>
      new Promise<unknown[]>((resolve, reject) => store.get(scope, key, (err, ...values) => (err ? reject(err) : resolve(values)))),
    set: (scope: string, key: string | string[], value: unknown) => new Promise<void>((resolve, reject) => store.set(scope, key, value, (err) => (err ? reject(err) : resolve()))),
    keys: (scope: string) => new Promise<unknown>((resolve, reject) => store.keys(scope, (err, names) => (err ? reject(err) : resolve(names)))),
  };
}

describe('redis context store', function () {
  let redis: RedisServer;
  const stores: RedisContextStore[] = [];
  async function open(config: Record<string, unknown> = {}) {
    const store = redisContextStore({ url: redis.url, ...config });
    await store.open();
    stores.push(store);
    return store;
  }

  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.close());
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await redis.client.flushall();
  });

  it('gets what was set, as JSON in one hash per scope, one field per top-level key', async () => {
    const api = callApi(await open({ prefix: 'p1' }));
    await api.set('n1:f1', 'count', 3);
    await api.set('n1:f1', 'state', { windows: [1, 2], name: 'x' });
    assert.deepEqual(await api.get('n1:f1', 'count'), [3]);
    assert.deepEqual(await api.get('n1:f1', 'state'), [{ windows: [1, 2], name: 'x' }]);
    assert.deepEqual(await redis.client.hgetall('p1:n1:f1'), { count: '3', state: '{"windows":[1,2],"name":"x"}' });
    assert.deepEqual(await api.get('n1:f1', 'missing'), [undefined]);
    assert.deepEqual(await api.get('other', 'count'), [undefined], 'scopes are apart');
  });

  it('takes arrays of keys in one call (one MULTI), nested keys, and undefined deletes', async () => {
    const api = callApi(await open());
    await api.set('s', ['a', 'b', 'c'], [1, { x: 1 }, 'three']);
    assert.deepEqual(await api.get('s', ['a', 'b', 'c', 'none']), [1, { x: 1 }, 'three', undefined]);
    await api.set('s', 'b.y[1]', true);
    assert.deepEqual(await api.get('s', ['b', 'b.y', 'b.x']), [{ x: 1, y: [undefined, true] }, [null, true], 1].map((v) => JSON.parse(JSON.stringify(v))));
    await api.set('s', ['a', 'b.x'], [undefined, undefined]);
    assert.deepEqual(await api.keys('s'), ['b', 'c']);
    assert.deepEqual(await api.get('s', 'b'), [{ y: [null, true] }]);
    await api.set('s', ['c', 'd'], 5);
    assert.deepEqual(await api.get('s', ['c', 'd']), [5, null], 'as Node-RED\'s stores: the keys beyond the values are set to null');
  });

  it('is asynchronous only: a call without a callback throws a clear error', async () => {
    const store = await open();
    assert.throws(() => store.get('s', 'a'), /asynchronous only/);
    assert.throws(() => store.set('s', 'a', 1), /asynchronous only/);
    assert.throws(() => store.keys('s'), /asynchronous only/);
  });

  it('hands bad keys, values that are not JSON and unstorable values to the callback, never throws', async () => {
    const store = await open({ prefix: 'q' });
    const api = callApi(store);
    await assert.rejects(api.get('s', 'a..b'), /invalid context key/);
    await assert.rejects(api.set('s', '__proto__.polluted', 1), /invalid context key/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await redis.client.hset('q:s', 'tampered', '{not json');
    await assert.rejects(api.get('s', 'tampered'), /not JSON/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await assert.rejects(api.set('s', 'c', circular), /circular/);
    assert.deepEqual(await api.get('s', 'c'), [undefined]);
  });

  it('global scope hides set/get/keys as the memory store does; delete drops a scope; clean keeps active nodes and global', async () => {
    const store = await open({ prefix: 'c' });
    const api = callApi(store);
    await api.set('global', ['set', 'visible'], [1, 2]);
    assert.deepEqual(await api.keys('global'), ['visible']);
    await api.set('keep:flow1', 'x', 1);
    await api.set('gone:flow1', 'x', 1);
    await api.set('flow1', 'x', 1);
    await api.set('oldflow', 'x', 1);
    await redis.client.hset('unrelated:gone:flow1', 'x', '1');
    await store.clean(['keep', 'flow1']);
    assert.deepEqual((await redis.client.keys('*')).sort(), ['c:flow1', 'c:global', 'c:keep:flow1', 'unrelated:gone:flow1']);
    await store.delete('keep:flow1');
    assert.deepEqual(await api.keys('keep:flow1'), []);
    const keeper = await open({ prefix: 'unrelated', clean: false });
    await keeper.clean([]);
    assert.equal(await redis.client.exists('unrelated:gone:flow1'), 1, 'clean: false keeps everything');
  });

  it('two stores on one Redis (two Node-RED instances) see each other\'s writes at once', async () => {
    const a = callApi(await open());
    const b = callApi(await open());
    await a.set('n:f', 'state', { v: 1 });
    assert.deepEqual(await b.get('n:f', 'state'), [{ v: 1 }]);
  });

  it('open fails with a clear error when Redis is not there, the password masked', async () => {
    const port = await freePort();
    const store = redisContextStore({ url: `redis://user:secret@127.0.0.1:${port}`, connectTimeout: 2000 });
    await assert.rejects(store.open(), (err: Error) => /could not connect to Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1/.test(err.message) && !err.message.includes('secret'));
    assert.throws(() => redisContextStore({ prefix: 'a*' }), /prefix/);
  });

  describe('feature-window with persist: redis', () => {
    // The helper never loads the configured context stores (Node-RED's start does): load them right after init.
    const context = (helper as unknown as { _context: { init(settings: unknown): void; load(): Promise<void>; close(): Promise<void> } })._context;
    const init = context.init;
    let loaded: Promise<void> | undefined;
    beforeEach(() => {
      // clean: false because the helper's unload cleans every node's context before the nodes' close saves it.
      helper.settings({ contextStorage: { default: { module: 'memory' }, redis: { module: redisContextStore, config: { url: redis.url, clean: false } } } });
      context.init = (settings) => {
        init(settings);
        loaded = context.load();
      };
      return helper.startServer();
    });
    afterEach(async () => {
      await helper.unload();
      await helper.stopServer();
      await context.close(); // the stores' connections (Node-RED's stop does this; the helper does not)
      context.init = init;
      helper.settings({});
    });

    it('a second runtime resumes the open windows the first left in Redis, and emits each window once', async () => {
      const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
      const flow = harness('feature-window', { window: 'tumbling', size: 10, unit: 's', features: ['mean', 'count'], persist: 'redis', idleTimeout: 0 });
      const reading = (deviceId: string, value: number, ts: number) => ({ payload: { deviceId, sensor: 'temp', value, ts } });

      await helper.load(featureWindow, flow);
      await loaded;
      let completed = collect('completed');
      let out1 = collect('out1');
      getNode('n1').receive(reading('kitchen', 20, T0 + 1000));
      getNode('n1').receive(reading('kitchen', 22, T0 + 4000));
      getNode('n1').receive(reading('hall', 10, T0 + 2000));
      await completed.next(3);
      assert.equal(out1.messages.length, 0);
      await helper.unload(); // stopFlows: the node's close saves its state to Redis
      await context.close(); // the first runtime's store connections end, as when that Node-RED stops
      assert.ok((await redis.client.keys('nodered:n1:*')).length > 0, 'the state is in Redis');

      await helper.load(featureWindow, flow);
      await loaded;
      completed = collect('completed');
      out1 = collect('out1');
      getNode('n1').receive(reading('kitchen', 24, T0 + 12000));
      const [kitchen] = await out1.next(1);
      assert.deepEqual(kitchen.payload.features, { 'temp.mean': 21, 'temp.count': 2 }, 'the readings before the restart are in the window');
      getNode('n1').receive({ flush: true });
      const later = await out1.next(3);
      const hall = later.find((m) => m.payload.deviceId === 'hall');
      assert.deepEqual(hall?.payload.features, { 'temp.mean': 10, 'temp.count': 1 });
      assert.equal(later.filter((m) => m.payload.deviceId === 'kitchen' && m.payload.start === T0).length, 1, 'the kitchen window came once');
    });
  });

  describe('as a shard worker (shard: { count })', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const name of ['IOT_AI_SHARD', 'IOT_AI_SHARD_COUNT', 'IOT_AI_SHARD_TOPIC', 'IOT_AI_SHARD_CLIENT']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });

    it('claims a shard before opening, keys state under it and exports the shard for the flows', async () => {
      const store = await open({ prefix: 'w', shard: { count: 1, leaseMs: 600, owner: 'A', clientId: 'worker-{shard}' } });
      assert.deepEqual(store.shard, { shard: 0, token: 1 });
      assert.equal(process.env.IOT_AI_SHARD, '0');
      assert.equal(process.env.IOT_AI_SHARD_TOPIC, 'iot/shard/0/#');
      assert.equal(process.env.IOT_AI_SHARD_CLIENT, 'worker-0');
      await callApi(store).set('n1:f1', 'state', { open: 3 });
      assert.equal(await redis.client.hget('w:shard-0:n1:f1', 'state'), '{"open":3}');
      assert.equal(await redis.client.get('iot-ai:shards:lease:0'), 'A|1');
    });

    it('a standby waits in open() until the owner gives the shard back, then reads the owner\'s state', async () => {
      const first = await open({ prefix: 'w', shard: { count: 1, leaseMs: 600, owner: 'A' } });
      await callApi(first).set('n1:f1', 'state', { open: 3 });
      const standby = redisContextStore({ url: redis.url, prefix: 'w', shard: { count: 1, leaseMs: 600, owner: 'B' } });
      stores.push(standby);
      let opened = false;
      const opening = standby.open().then(() => (opened = true));
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(opened, false, 'the standby waits while the shard is owned');
      await first.close();
      stores.splice(stores.indexOf(first), 1);
      await opening;
      assert.deepEqual(standby.shard, { shard: 0, token: 2 });
      assert.deepEqual(await callApi(standby).get('n1:f1', 'state'), [{ open: 3 }]);
    });

    it('a write with a stale fencing token is refused by Redis', async () => {
      const store = await open({ prefix: 'w', shard: { count: 2, leaseMs: 600, owner: 'A' } });
      const { shard } = store.shard!;
      await redis.client.incr(`iot-ai:shards:fence:${shard}`); // another worker claimed the shard since
      await assert.rejects(callApi(store).set('n1:f1', 'state', 1), /FENCED/);
      assert.equal(await redis.client.hget(`w:shard-${shard}:n1:f1`, 'state'), null);
    });

    it('refuses a shard config without a usable count or {shard} template', () => {
      assert.throws(() => redisContextStore({ shard: { count: 0 } }), /shard.count/);
      assert.throws(() => redisContextStore({ shard: { count: 4, topic: 'iot/all/#' } }), /\{shard\}/);
    });
  });
});
