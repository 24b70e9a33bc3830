/**
 * Files and paths of model-train and ml-model, in the runtime (docs/reliability.md, "Files and paths"): exports stay
 * in a folder of their own and are escaped, names from model files never steer a path, the version archive is
 * written atomically and keeps what a rollback or a run of retrains replaces, and one model file has one writer
 * at a time.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTrain } from '../../src/cli/train';
import { loadModel, saveModel, serializeModel, type ModelFile } from '../../src/core/model';
import { parseCsv } from '../../src/core/model/data/csv';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

const EXPORTS = 'iot-ai-exports';

describe('model files and paths', function () {
  this.timeout(60_000);
  let root: string;
  let dir: string;
  let modelPath: string;
  let mounted = false;

  async function start(userDir: string, live: ModelFile | null = null): Promise<void> {
    dir = userDir;
    modelPath = path.join(dir, 'live.json');
    if (live) await saveModel(modelPath, live);
    helper.settings({ userDir: dir });
    await helper.startServer();
  }

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-files-'));
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
    if (mounted) execFileSync('umount', [path.join(root, 'user')]);
    mounted = false;
    fs.rmSync(root, { recursive: true, force: true });
  });

  const flow = (props: Record<string, unknown> = {}, config: Record<string, unknown> = { path: 'live.json' }) => [
    ...harness('model-train', { model: 'cfg', trees: 10, ...props }, 2),
    { id: 'cfg', type: 'ml-model', watch: false, ...config },
  ];

  // The opposite of the toy model: hot below 25.
  const window = (i: number, extra: Record<string, unknown> = {}) => {
    const temp = 10 + (i % 40) * 0.8;
    return { payload: { deviceId: `d${i % 3}`, start: i * 1000, end: i * 1000 + 1000, features: { 'temp.mean': temp, 'noise.mean': i % 5 }, ...extra }, label: temp < 25 ? 'hot' : 'cold' };
  };
  const feed = (count: number, from = 0) => {
    for (let i = from; i < from + count; i++) getNode('n1').receive(window(i));
  };
  const onDisk = (file = modelPath) => JSON.parse(fs.readFileSync(file, 'utf8')) as ModelFile;

  describe('msg.export (#14.9)', function () {
    it('writes only into its own folder: flows.json and settings.js in the user directory are never replaced', async () => {
      await start(path.join(root, 'user'), await toyClassifier('1.0.0', 5));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'flows.json'), '[]');
      fs.writeFileSync(path.join(dir, 'settings.js'), 'module.exports = {};\n');
      await helper.load([mlModel, modelTrain], flow({ exportPath: 'settings.js' }));
      const out1 = collect('out1');
      feed(12);
      getNode('n1').receive({ export: 'flows.json' });
      getNode('n1').receive({ export: true });
      const exported = await out1.next(2);
      assert.equal(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8'), '[]');
      assert.equal(fs.readFileSync(path.join(dir, 'settings.js'), 'utf8'), 'module.exports = {};\n');
      const folder = path.join(fs.realpathSync(dir), EXPORTS);
      // Two exports write at once: their outcomes may come in either order.
      assert.deepEqual(exported.map((m) => m.payload.exported).sort(), [path.join(folder, 'flows.json'), path.join(folder, 'settings.js')]);
      assert.ok(parseCsv(fs.readFileSync(path.join(folder, 'flows.json'), 'utf8')).ok);
    });

    it('replaces its own export again, but never a file it did not write (nor one changed since)', async () => {
      await start(path.join(root, 'user'), await toyClassifier('1.0.0', 5));
      fs.mkdirSync(path.join(dir, EXPORTS), { recursive: true });
      fs.writeFileSync(path.join(dir, EXPORTS, 'mine.csv'), 'a user file\n');
      await helper.load([mlModel, modelTrain], flow());
      const out1 = collect('out1');
      const out2 = collect('out2');
      feed(12);
      getNode('n1').receive({ export: 'mine.csv' });
      getNode('n1').receive({ export: 'data.csv' });
      await out1.next(1);
      feed(3, 12);
      getNode('n1').receive({ export: 'data.csv' });
      const [, again] = await out1.next(2);
      assert.equal(again.payload.samples, 15, 'its own export is replaced');
      fs.appendFileSync(path.join(dir, EXPORTS, 'data.csv'), 'x,1,2,3,edited\n');
      getNode('n1').receive({ export: 'data.csv' });
      const refused = await out2.next(2);
      assert.deepEqual(refused.map((m) => m.error.code), ['path', 'path']);
      assert.equal(fs.readFileSync(path.join(dir, EXPORTS, 'mine.csv'), 'utf8'), 'a user file\n');
      assert.match(fs.readFileSync(path.join(dir, EXPORTS, 'data.csv'), 'utf8'), /edited\n$/);
    });

    it('escapes formula-like cells (= + - @) but not negative numbers, and iot-ai train reads the export back unchanged', async () => {
      await start(path.join(root, 'user'), await toyClassifier('1.0.0', 5));
      await helper.load([mlModel, modelTrain], flow());
      const out1 = collect('out1');
      for (let i = 0; i < 40; i++) {
        const temp = -20 + i;
        getNode('n1').receive({
          payload: { deviceId: i % 2 ? '@SUM(1+1)' : '=cmd|calc', start: i * 1000, end: i * 1000 + 1000, features: { '+x.mean': temp, 'noise.mean': -0.5 * (i % 3) } },
          label: temp < 0 ? '-cold' : '=HYPERLINK("http://x")',
        });
      }
      getNode('n1').receive({ export: 'formulas.csv' });
      const [exported] = await out1.next(1);
      const text = fs.readFileSync(exported.payload.exported, 'utf8');
      const parsed = parseCsv(text);
      assert.ok(parsed.ok);
      const cells = [parsed.table.header, ...parsed.table.rows].flat();
      const numeric = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
      assert.deepEqual(cells.filter((c) => /^[=+\-@]/.test(c) && !numeric.test(c)), [], 'no cell a spreadsheet would run');
      assert.ok(cells.includes('-20') && cells.includes('-0.5'), 'negative numbers are written as numbers');
      const out = path.join(root, 'back.json');
      let stderr = '';
      const code = await runTrain(['--data', exported.payload.exported, '--label', 'label', '--out', out, '--trees', '5'], { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) } });
      assert.equal(code, 0, stderr);
      const model = onDisk(out);
      assert.deepEqual(model.featureNames, ['+x.mean', 'noise.mean']);
      assert.deepEqual([...(model.labels ?? [])].sort(), ['-cold', '=HYPERLINK("http://x")']);
    });
  });

  describe('names that become paths (#14.10)', function () {
    it('a live model whose version climbs out of the user directory is archived inside it, and can be rolled back to', async () => {
      const evil = `../../../escaped-${path.basename(root)}`;
      await start(path.join(root, 'a', 'b', 'user'), { ...(await toyClassifier('1.0.0', 5)), version: evil });
      await helper.load([mlModel, modelTrain], flow());
      const out1 = collect('out1');
      feed(40);
      getNode('n1').receive({ train: true });
      const [trained] = await out1.next(1, 30_000);
      assert.match(trained.payload.model.version, /^\d{8}T\d{6}Z$/, 'a new version from the date, not from the path-like one');
      const everything = (folder: string): string[] => fs.readdirSync(folder, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? everything(path.join(folder, e.name)).map((f) => path.join(e.name, f)) : [e.name]));
      assert.deepEqual(everything(root).filter((f) => !f.startsWith(path.join('a', 'b', 'user'))), [], 'nothing written outside the user directory');
      getNode('n1').receive({ rollback: evil });
      const [, rolled] = await out1.next(2);
      assert.deepEqual(rolled.payload.rolledBack.version, evil);
      assert.equal(onDisk().version, evil);
    });
  });

  describe('the version archive (#14.11, #14.12, #27.3)', function () {
    it('rollback keeps the model it replaces: rolling forward again works', async () => {
      await start(root, await toyClassifier('1.0.0', 5));
      await helper.load([mlModel, modelTrain], flow());
      const out1 = collect('out1');
      feed(40);
      getNode('n1').receive({ train: true });
      await out1.next(1, 30_000);
      getNode('n1').receive({ rollback: true });
      getNode('n1').receive({ rollback: '1.0.1' });
      const [, back, forward] = await out1.next(3);
      assert.equal(back.payload.rolledBack.version, '1.0.0');
      assert.equal(forward.payload.rolledBack.version, '1.0.1');
      assert.equal(onDisk().version, '1.0.1');
    });

    it('a training that finishes after a rollback is discarded, with an outcome on output 2 that says so', async () => {
      await start(root, await toyClassifier('1.0.0', 5));
      await helper.load([mlModel, modelTrain], flow({ trees: 300 }));
      const out1 = collect('out1');
      const out2 = collect('out2');
      feed(40);
      getNode('n1').receive({ train: true });
      await out1.next(1, 30_000);
      getNode('n1').receive({ train: true });
      getNode('n1').receive({ rollback: '1.0.0' });
      const [, rolled] = await out1.next(2);
      assert.equal(rolled.payload.rolledBack.version, '1.0.0');
      const [superseded] = await out2.next(1, 30_000);
      assert.equal(superseded.error.code, 'superseded');
      assert.match(superseded.error.message, /rollback/);
      await settle(200);
      assert.equal(out1.messages.length, 2, 'no trained message for the discarded model');
      assert.equal(onDisk().version, '1.0.0', 'the rolled-back model stays live');
    });

    it('after six automatic retrains with keepVersions 2, the version live before them and a pinned one can still be restored', async () => {
      await start(root, await toyClassifier('1.0.0', 5));
      await helper.load([mlModel, modelTrain], flow({ every: 20, keepVersions: 2 }));
      const out1 = collect('out1');
      for (let run = 0; run < 6; run++) {
        feed(20, run * 20);
        await out1.next(out1.messages.length + 1, 30_000);
        if (run === 1) {
          getNode('n1').receive({ pin: '1.0.2' });
          const [, , pinned] = await out1.next(3);
          assert.deepEqual(pinned.payload.pins, ['1.0.2']);
        }
      }
      const versions = out1.messages.filter((m) => m.payload.model).map((m) => m.payload.model.version);
      assert.deepEqual(versions, ['1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6']);
      getNode('n1').receive({ rollback: '1.0.0' });
      getNode('n1').receive({ rollback: '1.0.2' });
      getNode('n1').receive({ rollback: '1.0.6' });
      const rolled = (await out1.next(10)).slice(7).map((m) => m.payload.rolledBack?.version);
      assert.deepEqual(rolled, ['1.0.0', '1.0.2', '1.0.6']);
      const kept = fs.readdirSync(path.join(root, '.live.versions')).filter((f) => !f.startsWith('.')).sort();
      assert.deepEqual(kept, ['1.0.0.json', '1.0.2.json', '1.0.5.json', '1.0.6.json'], 'the protected ones plus keepVersions of the rest');
    });

    it('disk full while archiving (a real 512 KiB tmpfs): the publish fails cleanly and rollback still restores the previous version', async function () {
      const user = path.join(root, 'user');
      fs.mkdirSync(user);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', user], { stdio: 'ignore' });
        mounted = true;
      } catch {
        this.skip();
      }
      await start(user, await toyClassifier('1.0.0', 5));
      await helper.load([mlModel, modelTrain], flow());
      await settle(200); // the ml-model has read live.json (earlier releases took the version from it at the start)
      const out1 = collect('out1');
      feed(40);
      getNode('n1').receive({ train: true });
      await out1.next(1, 30_000);
      const size = fs.statSync(modelPath).size;
      // Leave less room than one model: the archive write of 1.0.1 runs out of space half way.
      const free = Number(execFileSync('df', ['--output=avail', '-B1', user], { encoding: 'utf8' }).split('\n')[1]);
      fs.writeFileSync(path.join(user, 'filler'), Buffer.alloc(Math.max(0, free - Math.floor(size / 2))));
      const caught = collect('caught');
      getNode('n1').receive({ train: true });
      await caught.next(1, 30_000);
      const archived = fs.readdirSync(path.join(user, '.live.versions')).filter((f) => !f.startsWith('.'));
      for (const f of archived) assert.ok(loadModel(fs.readFileSync(path.join(user, '.live.versions', f))).ok, `${f} is a whole model`);
      assert.equal(onDisk().version, '1.0.1', 'the live model is untouched');
      fs.rmSync(path.join(user, 'filler'));
      getNode('n1').receive({ rollback: true });
      const rolled = await out1.next(2, 10_000);
      assert.equal(rolled[1].payload.rolledBack.version, '1.0.0');
    });
  });

  describe('one writer per model file (#27.4)', function () {
    it('model-train on a config naming only a bundled model refuses at deploy and never writes the package folder', async () => {
      const bundledFile = path.join(__dirname, '..', '..', 'models', 'home-occupancy.json');
      const before = fs.readFileSync(bundledFile);
      await start(root, null);
      await helper.load([mlModel, modelTrain], flow({}, { bundled: 'home-occupancy' }));
      const n1 = getNode('n1');
      await settle(100);
      assert.equal(lastStatus(n1)?.fill, 'red');
      assert.match(lastStatus(n1)?.text ?? '', /read-only/);
      const caught = collect('caught');
      feed(40);
      n1.receive({ train: true });
      await caught.next(1);
      await settle(1000);
      await assert.rejects(getNode('cfg').replace(await toyClassifier('9.9.9', 3)), /read-only/, 'ml-model itself refuses to write it');
      assert.ok(fs.readFileSync(bundledFile).equals(before), 'the bundled model is unchanged');
      assert.equal(fs.existsSync(path.join(path.dirname(bundledFile), '.home-occupancy.versions')), false);
    });

    it('a file path inside the palette\'s folder is read-only too; an ml-model without a file is refused without touching the working directory', async () => {
      const bundledFile = path.join(__dirname, '..', '..', 'models', 'home-occupancy.json');
      await start(root, null);
      const cwdBefore = fs.readdirSync(process.cwd()).sort();
      await helper.load([mlModel, modelTrain], [
        ...flow({}, { path: bundledFile }),
        { id: 'n2', type: 'model-train', z: 'f1', x: 1, y: 1, model: 'none', wires: [[], []] },
        { id: 'none', type: 'ml-model', path: '', bundled: '' },
      ]);
      await settle(100);
      // The status spy is shared by every node: pick each node's own calls.
      const statusOf = (id: string) => ((getNode(id).status as any).getCalls() as Array<{ thisValue: unknown; args: any[] }>).filter((c) => c.thisValue === getNode(id)).pop()?.args[0];
      // The status starts with the reason (shortened to fit the canvas); the log has all of it.
      const logged = ((getNode('n1').error as any).getCalls() as Array<{ thisValue: unknown; args: any[] }>).filter((c) => c.thisValue === getNode('n1')).map((c) => String(c.args[0]));
      const reason = logged.find((m) => /home-occupancy\.json is inside the palette's own folder/.test(m));
      assert.ok(reason, logged.join('\n'));
      const shown = String(statusOf('n1')?.text ?? '').replace(/…$/, '');
      assert.ok(shown.length > 10 && reason.includes(shown), `status "${shown}" is the start of the reason`);
      assert.equal(statusOf('n2')?.fill, 'red');
      getNode('n2').receive({ train: true });
      getNode('n2').receive({ rollback: true });
      await settle(200);
      assert.deepEqual(fs.readdirSync(process.cwd()).sort(), cwdBefore);
    });

    it('two model-train nodes on one ml-model, training at once, publish two versions that each name one model', async () => {
      await start(root, await toyClassifier('1.0.0', 5));
      const nodes = [
        ...flow(),
        { id: 'n2', type: 'model-train', z: 'f1', x: 1, y: 1, model: 'cfg', trees: 7, seed: 9, wires: [['out1'], ['out2']] },
      ];
      await helper.load([mlModel, modelTrain], nodes);
      const out1 = collect('out1');
      for (let i = 0; i < 40; i++) {
        getNode('n1').receive(window(i));
        getNode('n2').receive(window(i));
      }
      getNode('n1').receive({ train: true });
      getNode('n2').receive({ train: true });
      const trained = await out1.next(2, 30_000);
      const versions = trained.map((m) => m.payload.model.version).sort();
      assert.deepEqual(versions, ['1.0.1', '1.0.2']);
      const archived = onDisk(path.join(root, '.live.versions', '1.0.1.json'));
      const live = onDisk();
      assert.equal(live.version, '1.0.2');
      assert.notEqual(serializeModel(archived), serializeModel(live));
      assert.equal(archived.version, '1.0.1');
    });
  });
});
