/**
 * The model home (src/core/model/file/model-home.ts): the names kept beside a model file, the checked write
 * ml-model's replace is, and the versions model-train publishes, rolls back and pins through.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, type ModelFile } from '../../src/core/model/file/model-file';
import { modelFileNames, ModelHome } from '../../src/core/model/file/model-home';
import { toyClassifier } from '../helpers/models';

describe('core/model/file: the model home', () => {
  let base: ModelFile;
  let dir: string;
  let file: string;
  const onDisk = (): ModelFile => JSON.parse(fs.readFileSync(file, 'utf8')) as ModelFile;

  before(async () => {
    base = await toyClassifier('1.0.0', 3);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-home-'));
    file = path.join(dir, 'live.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names: the lock and the versions folder beside the file, and every archived version inside that folder', () => {
    const names = modelFileNames(file);
    assert.equal(names.lock, path.join(dir, '.live.json.lock'));
    assert.equal(names.versions, path.join(dir, '.live.versions'));
    assert.equal(names.archived('1.0.3'), path.join(dir, '.live.versions', '1.0.3.json'));
    for (const version of ['../../etc/passwd', 'a/b', '..', 'CON', '']) {
      assert.equal(path.dirname(names.archived(version)), names.versions, `${JSON.stringify(version)} stays inside`);
    }
  });

  it('write: refuses a read-only file and a model ml-model could not load, writing nothing; otherwise writes, then `written`', async () => {
    const written: string[] = [];
    const readOnly = new ModelHome({ file, readOnly: 'the bundled model "x" is read-only' });
    await assert.rejects(readOnly.write(base), /read-only/);
    const home = new ModelHome({ file, written: async (model) => void written.push(model.version) });
    // More tree nodes than a model may hold (a sparse array: only its length is counted).
    const huge = { ...base, forest: { trees: [{ feature: new Array(3_000_001) }] } } as unknown as ModelFile;
    await assert.rejects(home.write(huge), /too large/);
    assert.equal(fs.existsSync(file), false, 'nothing written');
    assert.deepEqual(written, []);
    await home.write(base);
    assert.ok(loadModel(fs.readFileSync(file)).ok);
    assert.deepEqual(written, ['1.0.0']);
  });

  it('versions: publish archives the live model, gives the next version and keeps the live training window; rollback puts it back', async () => {
    const window = { window: 'tumbling' as const, size: 60, unit: 's' as const, features: ['mean'], sensors: ['temp', 'noise'] };
    let live: ModelFile | undefined = { ...base, window };
    const home = new ModelHome({ file, inMemory: () => live, written: async (model) => void (live = model) });
    await home.write(live);
    const versions = home.versions(5);
    const published = await versions.publish({ ...base, version: 'ignored', description: 'retrained' }, { automatic: true, ticket: versions.ticket() });
    assert.ok(published.ok);
    assert.equal(published.model.version, '1.0.1');
    assert.deepEqual(onDisk().window, window, 'the retrained model keeps the window it was trained with');
    assert.deepEqual(fs.readdirSync(modelFileNames(file).versions).filter((f) => !f.startsWith('.')), ['1.0.0.json']);
    const back = await versions.rollback();
    assert.ok(back.ok);
    assert.equal(onDisk().version, '1.0.0');
    assert.equal(live?.version, '1.0.0', 'every write goes through `written` (ml-model reloads)');
    const pinned = await versions.pin();
    assert.deepEqual(pinned, { ok: true, version: '1.0.0', pins: ['1.0.0'] });
  });

  it('versions: a window that does not cover the new features is not carried (the model says what its names spell)', async () => {
    const live: ModelFile = { ...base, window: { features: ['max'] } };
    const home = new ModelHome({ file, inMemory: () => live });
    const published = await home.versions(5).publish({ ...base, description: 'retrained' });
    assert.ok(published.ok);
    assert.deepEqual(onDisk().window?.features, ['mean'], 'spelt out by temp.mean and noise.mean, not the live max');
  });
});
