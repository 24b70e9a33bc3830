/**
 * Security properties of the palette (docs/reliability.md, Security): secrets only in Node-RED's credential
 * store, user JSON Schemas never fetch anything and are bounded, and no user-supplied code is ever evaluated.
 * Paths from messages are covered in test/core/bounds.test.ts and test/nodes/bounds.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { parseActuatorConfig } from '../../src/core/actuate';
import { compileUserSchema, INGEST_DEFAULTS } from '../../src/core/ingest';
import { collect, getNode, harness, helper, lastStatus } from '../helpers/runtime';
import { CATASTROPHIC_PAYLOAD, CATASTROPHIC_SCHEMA, UNIQUE_PACK_SCHEMA, uniquePack } from '../helpers/schema-payloads';
import actuatorCommand = require('../../src/nodes/actuator-command');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import { editorSource } from '../helpers/editor-source';

const root = path.resolve(__dirname, '..', '..');
/** Property names that hold secrets: these belong in a node's `credentials`, which Node-RED stores apart, encrypted. */
const SECRET_LIKE = /pass(word|phrase)?|secret|token|api[-_]?key|private[-_]?key|credential|^auth|bearer|cookie/i;

function filesUnder(dir: string, pattern: RegExp): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(p, pattern));
    else if (pattern.test(entry.name)) found.push(p);
  }
  return found;
}

/** Runs a node's editor script against a stand-in RED and returns what it registers. */
function editorDefinition(type: string): { defaults: Record<string, unknown>; credentials?: Record<string, unknown> } {
  let registered: { defaults: Record<string, unknown>; credentials?: Record<string, unknown> } | undefined;
  // As the build assembles it: the shared helpers first (they set window.IotAiEditor), then the node's own script.
  const source = editorSource(type);
  const RED = { nodes: { registerType: (_type: string, def: typeof registered) => (registered = def) }, _: (key: string) => key };
  const context: Record<string, unknown> = { RED, $: () => ({}) };
  context.window = context;
  vm.runInNewContext(source, context);
  if (!registered) throw new Error(`${type}/editor.js registered nothing`);
  return registered;
}

describe('security', function () {
  describe('secrets live only in Node-RED\'s credential store', function () {
    const types = fs.readdirSync(path.join(root, 'src', 'nodes')).filter((t) => fs.existsSync(path.join(root, 'src', 'nodes', t, 'editor.js')));

    it('no node of ours has a secret-like property among its saved (flow JSON) properties', () => {
      assert.ok(types.length >= 7, `found editors for ${types.join(', ')}`);
      for (const type of types) {
        const def = editorDefinition(type);
        const secretLike = Object.keys(def.defaults).filter((key) => SECRET_LIKE.test(key));
        assert.deepEqual(secretLike, [], `${type} saves ${secretLike.join(', ')} in the flow: it belongs in credentials`);
      }
    });

    it('the runtime glue reads no secret-like property from the node definition', () => {
      for (const file of filesUnder(path.join(root, 'src', 'nodes'), /\.ts$/)) {
        const reads = [...fs.readFileSync(file, 'utf8').matchAll(/\bdef\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]).filter((key) => SECRET_LIKE.test(key));
        assert.deepEqual(reads, [], `${path.relative(root, file)} reads ${reads.join(', ')} from the flow`);
      }
    });

    it('the sample flows hold no secret: broker logins are left to the mqtt-broker\'s credentials', () => {
      const flows = [...filesUnder(path.join(root, 'flows'), /\.json$/), ...filesUnder(path.join(root, 'examples'), /\.json$/)];
      assert.ok(flows.length > 0);
      for (const file of flows) {
        for (const node of JSON.parse(fs.readFileSync(file, 'utf8')) as Array<Record<string, unknown>>) {
          assert.equal(node.credentials, undefined, `${path.basename(file)}: ${node.id} carries credentials inline`);
          for (const [key, value] of Object.entries(node)) {
            if (SECRET_LIKE.test(key)) assert.ok(value === '' || value === undefined || value === null || typeof value === 'boolean', `${path.basename(file)}: ${node.type} ${node.id}.${key} holds a value`);
          }
        }
      }
    });
  });

  describe('user JSON Schemas never fetch anything and are bounded', function () {
    let server: http.Server;
    let requests = 0;
    let base = '';
    before(async () => {
      server = http.createServer((_req, res) => {
        requests++;
        res.setHeader('content-type', 'application/json');
        res.end('{"type": "object"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => helper.startServer());
    afterEach(async () => {
      await helper.unload();
      await helper.stopServer();
    });

    const remote = () => [
      { type: 'object', properties: { v: { $ref: `${base}/value.json` } } },
      { $schema: `${base}/meta.json`, type: 'object' },
      { $id: `${base}/root.json`, type: 'object', properties: { v: { $ref: 'value.json' } } },
    ];

    it('sensor-ingest refuses a schema with a remote $ref or $schema as a configuration fault, without a request', async () => {
      for (const schema of remote()) {
        const compiled = compileUserSchema(JSON.stringify(schema), 'schema');
        assert.ok('error' in compiled, `compiled ${JSON.stringify(schema)}`);
      }
      await helper.load(sensorIngest, harness('sensor-ingest', { schema: JSON.stringify(remote()[0]) }));
      assert.equal(lastStatus(getNode('n1'))?.fill, 'red');
      const caught = collect('caught');
      getNode('n1').receive({ payload: { deviceId: 'd1', v: 1 } });
      await caught.next(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(requests, 0, 'nothing was fetched');
    });

    it('actuator-command refuses a commandSchema with a remote $ref or $schema, without a request', async () => {
      for (const schema of remote()) {
        const parsed = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], commandSchema: JSON.stringify(schema) });
        assert.equal(parsed.ok, false, `accepted ${JSON.stringify(schema)}`);
      }
      await helper.load(actuatorCommand, harness('actuator-command', { rules: [{ label: 'on', command: { state: 'ON' } }], commandSchema: JSON.stringify(remote()[0]) }));
      assert.equal(lastStatus(getNode('n1'))?.fill, 'red');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(requests, 0, 'nothing was fetched');
    });

    describe('sensor-ingest checks a schema in bounded time (linear-time pattern and uniqueItems)', function () {
      this.timeout(30_000); // hang guard: the backtracking, quadratic Ajv took a minute on the first, seconds on the second

      it('the 57-byte catastrophic-pattern payload is one schema reject on output 2', async () => {
        await helper.load(sensorIngest, harness('sensor-ingest', { schema: CATASTROPHIC_SCHEMA }));
        const out1 = collect('out1');
        const out2 = collect('out2');
        const completed = collect('completed');
        getNode('n1').receive({ payload: CATASTROPHIC_PAYLOAD });
        const [reject] = await out2.next(1, 25_000);
        await completed.next(1, 25_000);
        assert.deepEqual([reject.error.code, reject.error.path], ['schema', '/deviceId']);
        assert.equal(out1.messages.length, 0);
      });

      it('uniqueItems on a 10,000-record pack lets the distinct records through, and one duplicate fails the pack', async () => {
        await helper.load(sensorIngest, harness('sensor-ingest', { schema: UNIQUE_PACK_SCHEMA }));
        const out1 = collect('out1');
        const out2 = collect('out2');
        const completed = collect('completed');
        const pack = uniquePack(10_000);
        getNode('n1').receive({ payload: JSON.stringify(pack) });
        await completed.next(1, 25_000);
        assert.equal(out1.messages.length, 10_000);
        getNode('n1').receive({ payload: JSON.stringify([...pack.slice(1), pack[5000]]) });
        await completed.next(2, 25_000);
        assert.equal(out1.messages.length, 10_000, 'no reading of the pack with a duplicate');
        assert.deepEqual(out2.messages.map((m) => m.error.code), ['schema']);
      });

      it('a pattern that needs backtracking (a backreference) is a configuration fault at deploy', async () => {
        await helper.load(sensorIngest, harness('sensor-ingest', { schema: JSON.stringify({ properties: { deviceId: { type: 'string', pattern: '^(a+)\\1$' } } }) }));
        const n1 = getNode('n1');
        assert.equal(lastStatus(n1)?.fill, 'red');
        const logged = (n1.error as any).getCalls().map((c: any) => String(c.args[0]));
        assert.ok(logged.some((m: string) => /linear-time engine/.test(m)), logged.join('\n'));
      });
    });

    it('both refuse schemas past their size bound (256 KB for ingest, 64 KB for commands) and deeper than 32 levels (commands)', () => {
      const padded = (bytes: number) => JSON.stringify({ type: 'object', description: 'x'.repeat(bytes) });
      assert.match(String((compileUserSchema(padded(INGEST_DEFAULTS.maxSchemaBytes), 'schema') as { error?: string }).error), /larger than/);
      assert.ok('validate' in compileUserSchema(padded(1000), 'schema'));
      const command = (commandSchema: string) => parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], commandSchema });
      assert.equal(command(padded(64 * 1024)).ok, false);
      let deep: Record<string, unknown> = { type: 'object' };
      for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { a: deep } };
      assert.equal(command(JSON.stringify(deep)).ok, false);
      assert.equal(command(padded(1000)).ok, true);
    });
  });

  it('no user-supplied code is evaluated: no eval, new Function, vm or string timers in the palette source', () => {
    // A method named eval (ioredis' redis.eval: a Lua script run by the Redis server) is not JavaScript's eval;
    // the global one, however reached, is.
    const forbidden = [/(^|[^.\w])eval\s*\(/, /\b(globalThis|global|window|self)\s*\.\s*eval\b/, /\[\s*['"`]eval['"`]\s*\]/, /\bnew\s+Function\s*\(/, /(^|[^.\w])Function\s*\(/, /require\(\s*['"](node:)?vm['"]\s*\)/, /from\s+['"](node:)?vm['"]/, /set(Timeout|Interval)\(\s*['"`]/];
    const sources = filesUnder(path.join(root, 'src'), /\.(ts|js)$/);
    assert.ok(sources.length > 30);
    for (const file of sources) {
      const text = fs.readFileSync(file, 'utf8');
      for (const pattern of forbidden) assert.doesNotMatch(text, pattern, `${path.relative(root, file)} matches ${pattern}`);
    }
  });
});
