/**
 * The version archive (src/core/model/file/archive.ts), its lock (file-lock.ts) and version file names (version.ts):
 * examples for each promise, a full disk injected half way through a write, two writers, and properties over
 * any version string and any sequence of publish / rollback / pin / unpin / training finishing.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { runTrain } from '../../src/cli/train';
import { ModelArchive, MAX_PINS } from '../../src/core/model/file/archive';
import { lockPathFor, withFileLock } from '../../src/core/model/file/file-lock';
import { loadModel, type ModelFile } from '../../src/core/model/file/model-file';
import { saveModel, serializeModel, writeFileAtomic, type WriteContent } from '../../src/core/model/file/store';
import { allocateVersion, isVersionFileName, versionFileName } from '../../src/core/model/file/version';
import { runs } from '../helpers/fuzz';
import { toyClassifier } from '../helpers/models';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'model');

describe('model version archive', function () {
  this.timeout(120_000);
  let base: ModelFile;
  let dir: string;
  let modelFile: string;
  /** A distinct model (same forest, another description): cheap, and a different content. */
  const variant = (tag: string, version = '0.0.0'): ModelFile => ({ ...base, version, description: tag });
  const onDisk = (file = modelFile): ModelFile => JSON.parse(fs.readFileSync(file, 'utf8')) as ModelFile;
  const archived = (a: ModelArchive) => fs.readdirSync(a.directory).filter((f) => !f.startsWith('.')).sort();

  before(async () => {
    base = await toyClassifier('1.0.0', 3);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-archive-'));
    modelFile = path.join(dir, 'live.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('versions', function () {
    it('publish gives the next free version, never one a kept or earlier model had', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 1 });
      assert.ok((await archive.pin()).ok);
      const versions: string[] = [];
      for (const tag of ['b', 'c', 'd']) {
        const outcome = await archive.publish(variant(tag));
        assert.ok(outcome.ok);
        versions.push(outcome.model.version);
      }
      assert.deepEqual(versions, ['1.0.1', '1.0.2', '1.0.3']);
      const back = await archive.rollback('1.0.0');
      assert.ok(back.ok);
      const next = await archive.publish(variant('e'));
      assert.ok(next.ok);
      assert.equal(fs.existsSync(path.join(archive.directory, '1.0.1.json')), false);
      assert.equal(next.model.version, '1.0.4', 'after a rollback to 1.0.0 the next is past every version given out, 1.0.1 (pruned) included');
    });

    it('allocateVersion moves past taken versions and the highest patch given out; date versions get a suffix', () => {
      const now = new Date('2024-06-01T08:30:00.123Z');
      assert.equal(allocateVersion('1.0.0', now, (v) => v === '1.0.1'), '1.0.2');
      assert.equal(allocateVersion('1.0.0', now, () => false, { '1.0': 7 }), '1.0.8');
      assert.equal(allocateVersion('2.1.0', now, () => false, { '1.0': 7 }), '2.1.1');
      assert.equal(allocateVersion('beta', now, () => false), '20240601T083000Z');
      assert.equal(allocateVersion('beta', now, (v) => v === '20240601T083000Z'), '20240601T083000Z.1');
      assert.equal(allocateVersion(undefined, now, () => false), '1.0.0');
    });

    it('any version string becomes one file name inside the archive folder (property)', () => {
      const folder = path.join(os.tmpdir(), 'archive');
      const pathish = fc.constantFrom('..', '.', '../x', '../../../etc/passwd', 'a/b', 'a\\b', 'C:\\x', '/abs', 'con', 'NUL.txt', 'x.', '.hidden', 'a..b', '1.0.0', '\u0000', '', ' ');
      const version = fc.oneof(pathish, fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.stringMatching(/^[A-Za-z0-9._+\-/\\]{1,12}$/));
      fc.assert(
        fc.property(version, (v) => {
          const name = versionFileName(v);
          assert.ok(isVersionFileName(name), name);
          assert.equal(path.basename(name), name);
          assert.ok(!/[\\/\0]/.test(name) && !name.startsWith('.'), name);
          const target = path.resolve(folder, name);
          assert.equal(path.dirname(target), folder);
          if (name.startsWith('_')) assert.match(name, /^_[0-9a-f]{32}\.json$/);
          else assert.equal(name, `${v}.json`);
        }),
        { numRuns: runs(2000, 50_000) },
      );
    });

    it('a version that climbs out of the folder is archived under a hashed name and rolled back to by its version', async () => {
      const evil = '../../../outside';
      await saveModel(modelFile, variant('evil', evil));
      const archive = new ModelArchive({ modelFile, keepVersions: 3 });
      const outcome = await archive.publish(variant('next'));
      assert.ok(outcome.ok);
      assert.equal(outcome.replaced, evil);
      assert.deepEqual(archived(archive), [versionFileName(evil)]);
      assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith('outside')), []);
      const back = await archive.rollback(evil);
      assert.ok(back.ok && back.model.version === evil);
      assert.equal(onDisk().version, evil);
      for (const bad of ['../live', '../../etc/passwd', '.archive', '']) assert.deepEqual(await archive.rollback(bad), { ok: false, code: 'rollback', message: `no saved version ${bad}` });
    });

    it('a seed model live only in memory (the file does not exist yet) is archived on the first publish and can be rolled back to', async () => {
      const seed = variant('bundled seed', '3.0.0');
      const archive = new ModelArchive({ modelFile, keepVersions: 2, liveInMemory: () => seed });
      const outcome = await archive.publish(variant('first'));
      assert.ok(outcome.ok && outcome.model.version === '3.0.1' && outcome.replaced === '3.0.0');
      const back = await archive.rollback();
      assert.ok(back.ok);
      assert.equal(onDisk().description, 'bundled seed');
    });

    it('a live model whose version already names another archived model (written past the lock) is kept under <version>+<hash>', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 5 });
      assert.ok((await archive.publish(variant('b'))).ok);
      await saveModel(modelFile, variant('impostor', '1.0.0'));
      const outcome = await archive.publish(variant('c'));
      assert.ok(outcome.ok);
      assert.match(outcome.replaced ?? '', /^1\.0\.0\+[0-9a-f]{8}$/);
      const kept = await archive.list();
      const hashes = new Map(kept.map((k) => [k.version, onDisk(k.file).description]));
      assert.equal(hashes.get('1.0.0'), 'a');
      assert.equal(hashes.get(outcome.replaced!), 'impostor');
      assert.equal(onDisk(kept.find((k) => k.version === outcome.replaced)!.file).version, outcome.replaced);
    });
  });

  describe('rollback (#14.12)', function () {
    it('walks back one version at a time, keeps every model it replaces, and rolls forward again', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 5 });
      for (const tag of ['b', 'c']) assert.ok((await archive.publish(variant(tag))).ok);
      const walked: string[] = [];
      for (let i = 0; i < 3; i++) {
        const outcome = await archive.rollback();
        walked.push(outcome.ok ? outcome.model.version : outcome.message);
      }
      assert.deepEqual(walked, ['1.0.1', '1.0.0', 'no earlier version is saved']);
      assert.deepEqual(archived(archive), ['1.0.0.json', '1.0.1.json', '1.0.2.json']);
      const forward = await archive.rollback('1.0.2');
      assert.ok(forward.ok);
      assert.equal(onDisk().description, 'c');
    });

    it('a training whose ticket is older than a rollback is refused (superseded); a ticket taken after it is not', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 5 });
      assert.ok((await archive.publish(variant('b'))).ok);
      const before = archive.ticket();
      assert.ok((await archive.rollback()).ok);
      const after = archive.ticket();
      const late = await archive.publish(variant('late'), { ticket: before });
      assert.equal(late.ok, false);
      assert.equal(!late.ok && late.code, 'superseded');
      assert.match(!late.ok ? late.message : '', /rollback to 1\.0\.0/);
      assert.equal(onDisk().version, '1.0.0');
      const fresh = await archive.publish(variant('fresh'), { ticket: after });
      assert.ok(fresh.ok && fresh.model.version === '1.0.2');
    });

    it('reads an archive written before the index (files only, ordered by time)', async () => {
      const archive = new ModelArchive({ modelFile, keepVersions: 5 });
      fs.mkdirSync(archive.directory, { recursive: true });
      const t = Date.now() / 1000;
      for (const [i, v] of ['1.0.0', '1.0.1'].entries()) {
        const file = path.join(archive.directory, `${v}.json`);
        fs.writeFileSync(file, JSON.stringify(variant(`old${i}`, v)));
        fs.utimesSync(file, t - 100 + i, t - 100 + i);
      }
      fs.writeFileSync(path.join(archive.directory, '1.0.2.json'), '');
      fs.utimesSync(path.join(archive.directory, '1.0.2.json'), t - 50, t - 50);
      await saveModel(modelFile, variant('live', '1.0.3'));
      const outcome = await archive.rollback();
      assert.ok(outcome.ok, !outcome.ok ? outcome.message : '');
      assert.equal(outcome.model.version, '1.0.1', 'an empty file left by an old torn write is passed over');
    });
  });

  describe('kept versions (#27.3)', function () {
    it('after many automatic publishes the version live before the run and pinned ones are kept; keepVersions bounds the rest', async () => {
      await saveModel(modelFile, variant('good', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 2 });
      for (let i = 0; i < 8; i++) {
        assert.ok((await archive.publish(variant(`auto${i}`), { automatic: true })).ok);
        if (i === 2) assert.ok((await archive.pin()).ok, 'pin the live one (1.0.3)');
      }
      assert.deepEqual(archived(archive), ['1.0.0.json', '1.0.3.json', '1.0.6.json', '1.0.7.json']);
      const kept = await archive.list();
      assert.deepEqual(kept.filter((k) => k.beforeRun).map((k) => k.version), ['1.0.0']);
      assert.deepEqual(kept.filter((k) => k.pinned).map((k) => k.version), ['1.0.3']);
      for (const v of ['1.0.7', '1.0.6', '1.0.3', '1.0.0']) assert.ok((await archive.rollback(v)).ok, v);
    });

    it('keepVersions 0 keeps only the protected versions; a manual publish ends the run, the next run protects its own start', async () => {
      await saveModel(modelFile, variant('good', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 0 });
      assert.ok((await archive.publish(variant('a'), { automatic: true })).ok);
      assert.ok((await archive.publish(variant('b'), { automatic: true })).ok);
      assert.deepEqual(archived(archive), ['1.0.0.json']);
      assert.ok((await archive.publish(variant('manual'))).ok);
      assert.ok((await archive.publish(variant('c'), { automatic: true })).ok);
      assert.deepEqual(archived(archive), ['1.0.3.json'], 'the manual 1.0.3 was live when the new run began');
    });

    it(`pins are bounded (${MAX_PINS}); unpin lets a version go`, async () => {
      await saveModel(modelFile, variant('v0', '1.0.0'));
      const archive = new ModelArchive({ modelFile, keepVersions: 0 });
      for (let i = 1; i <= MAX_PINS + 1; i++) {
        const pinned = await archive.pin();
        if (i <= MAX_PINS) assert.ok(pinned.ok);
        else assert.deepEqual(pinned.ok ? undefined : pinned.code, 'pin');
        assert.ok((await archive.publish(variant(`v${i}`))).ok);
      }
      assert.equal(archived(archive).length, MAX_PINS);
      assert.ok((await archive.unpin('1.0.0')).ok);
      assert.equal(archived(archive).includes('1.0.0.json'), false);
      assert.equal((await archive.pin('9.9.9')).ok, false);
    });
  });

  describe('a full disk (#14.11)', function () {
    /** Writes half of the bytes, then fails as a full disk does. */
    const halfThenFull: WriteContent = async (handle, data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
      await handle.write(bytes.subarray(0, bytes.length >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };

    it('an archive write that runs out of space fails the publish, leaves no partial file, and rollback still works', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      const healthy = new ModelArchive({ modelFile, keepVersions: 5 });
      assert.ok((await healthy.publish(variant('b'))).ok);
      const full = new ModelArchive({ modelFile, keepVersions: 5, writeFile: (file, text) => writeFileAtomic(file, text, halfThenFull) });
      await assert.rejects(full.publish(variant('c')), /ENOSPC/);
      assert.equal(onDisk().version, '1.0.1', 'the live model is untouched');
      assert.deepEqual(fs.readdirSync(healthy.directory).sort(), ['.archive.json', '1.0.0.json'], 'no partial 1.0.1, no temporary file');
      assert.equal(fs.existsSync(lockPathFor(modelFile)), false, 'the lock is released');
      const back = await healthy.rollback();
      assert.ok(back.ok && back.model.version === '1.0.0');
      assert.ok(loadModel(fs.readFileSync(path.join(healthy.directory, '1.0.1.json'))).ok, 'the replaced model is kept whole');
    });

    it('a model write that runs out of space leaves the live file whole', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      await assert.rejects(writeFileAtomic(modelFile, serializeModel(variant('b')), halfThenFull), /ENOSPC/);
      assert.equal(onDisk().description, 'a');
      assert.deepEqual(fs.readdirSync(dir), ['live.json']);
    });
  });

  describe('one writer at a time (#27.4)', function () {
    it('two archives publishing at once give two versions, each naming one model', async () => {
      await saveModel(modelFile, variant('a', '1.0.0'));
      const one = new ModelArchive({ modelFile, keepVersions: 5 });
      const two = new ModelArchive({ modelFile, keepVersions: 5 });
      const outcomes = await Promise.all([one.publish(variant('x')), two.publish(variant('y')), one.publish(variant('z'))]);
      const versions = outcomes.map((o) => (o.ok ? o.model.version : o.message));
      assert.deepEqual([...versions].sort(), ['1.0.1', '1.0.2', '1.0.3']);
      const byVersion = new Map((await one.list()).map((k) => [k.version, onDisk(k.file).description]));
      byVersion.set(onDisk().version, onDisk().description);
      assert.deepEqual([...byVersion.keys()].sort(), ['1.0.0', '1.0.1', '1.0.2', '1.0.3']);
      assert.equal(new Set(byVersion.values()).size, 4);
    });

    it('waits for a lock another process holds and gives up with who holds it', async () => {
      const lock = lockPathFor(modelFile);
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
      try {
        fs.writeFileSync(lock, JSON.stringify({ pid: holder.pid, host: os.hostname(), token: 'other', id: 'x', at: Date.now() }));
        await assert.rejects(withFileLock(lock, async () => 1, { timeoutMs: 200 }), new RegExp(`held by process ${holder.pid}`));
      } finally {
        holder.kill();
      }
    });

    it('breaks a stale lock: its process is gone, it is an earlier run of this pid, or it is too old', async () => {
      const lock = lockPathFor(modelFile);
      const gone = spawn(process.execPath, ['-e', '0']);
      await new Promise((resolve) => gone.on('exit', resolve));
      const stale = [
        { pid: gone.pid, host: os.hostname(), token: 't', id: 'a', at: Date.now() },
        { pid: process.pid, host: os.hostname(), token: 'an earlier run', id: 'b', at: Date.now() },
        { pid: 1, host: 'another-host', token: 't', id: 'c', at: Date.now() - 10 * 60_000 },
      ];
      for (const owner of stale) {
        fs.writeFileSync(lock, JSON.stringify(owner));
        assert.equal(await withFileLock(lock, async () => 'got it', { timeoutMs: 2000 }), 'got it', JSON.stringify(owner));
        assert.equal(fs.existsSync(lock), false);
      }
      fs.writeFileSync(lock, JSON.stringify({ pid: 1, host: 'another-host', token: 't', id: 'd', at: Date.now() }));
      await assert.rejects(withFileLock(lock, async () => 1, { timeoutMs: 100 }), /another-host/, 'a fresh lock of another host is respected');
    });

    describe('iot-ai train --out on a live file', function () {
      const cli = async (argv: string[]) => {
        let stdout = '';
        let stderr = '';
        const code = await runTrain(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } }, { now: () => new Date('2024-06-01T08:30:00Z') });
        return { code, stdout, stderr };
      };
      let data: string;
      beforeEach(() => {
        data = path.join(dir, 'rooms.csv');
        fs.copyFileSync(path.join(FIXTURES, 'rooms.csv'), data);
      });

      it('archives the model it replaces and takes the next free version; a --version that names another model is refused', async () => {
        await saveModel(modelFile, variant('a', '1.0.0'));
        const archive = new ModelArchive({ modelFile, keepVersions: 5 });
        assert.ok((await archive.publish(variant('b'))).ok);
        const run = await cli(['--data', data, '--label', 'state', '--out', modelFile, '--trees', '3']);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /version 1\.0\.2; 1\.0\.1 is kept in \.live\.versions/);
        assert.equal(onDisk().version, '1.0.2');
        assert.equal(onDisk(path.join(archive.directory, '1.0.1.json')).description, 'b');
        const clash = await cli(['--data', data, '--label', 'state', '--out', modelFile, '--trees', '3', '--version', '1.0.0']);
        assert.equal(clash.code, 1);
        assert.match(clash.stderr, /version 1\.0\.0 already names another model/);
        assert.equal(onDisk().version, '1.0.2');
        const next = await archive.publish(variant('c'));
        assert.ok(next.ok && next.model.version === '1.0.3', 'model-train continues after the CLI\'s version');
      });

      it('waits for the lock model-train holds while it writes', async () => {
        await saveModel(modelFile, variant('a', '1.0.0'));
        let release: () => void = () => undefined;
        const held = withFileLock(lockPathFor(modelFile), () => new Promise<void>((resolve) => (release = resolve)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const run = cli(['--data', data, '--label', 'state', '--out', modelFile, '--trees', '3']);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(onDisk().description, 'a', 'not written while the lock is held');
        release();
        await held;
        assert.equal((await run).code, 0);
        assert.equal(onDisk().featureNames.join(), 'temp,hum,light');
      });

      it('writes a file nobody keeps versions of as before (version 1.0.0 unless --version)', async () => {
        await saveModel(modelFile, variant('a', '1.0.0'));
        const run = await cli(['--data', data, '--label', 'state', '--out', modelFile, '--trees', '3']);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(onDisk().version, '1.0.0');
        assert.equal(fs.existsSync(ModelArchive.directoryFor(modelFile)), false);
      });
    });
  });

  describe('any sequence of publish, rollback, pin, unpin and late trainings (property)', function () {
    type Op =
      | { kind: 'publish'; automatic: boolean }
      | { kind: 'start' }
      | { kind: 'finish'; which: number; automatic: boolean }
      | { kind: 'rollback'; pick: number | null }
      | { kind: 'pin'; pick: number | null }
      | { kind: 'unpin'; pick: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.boolean().map((automatic) => ({ kind: 'publish' as const, automatic })) },
      { weight: 2, arbitrary: fc.constant({ kind: 'start' as const }) },
      { weight: 2, arbitrary: fc.record({ which: fc.nat(), automatic: fc.boolean() }).map((r) => ({ kind: 'finish' as const, ...r })) },
      { weight: 2, arbitrary: fc.option(fc.nat(), { nil: null }).map((pick) => ({ kind: 'rollback' as const, pick })) },
      { weight: 1, arbitrary: fc.option(fc.nat(), { nil: null }).map((pick) => ({ kind: 'pin' as const, pick })) },
      { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'unpin' as const, pick })) },
    );

    it('keeps the pre-run version and pins, rolls back to any kept version, and a version always names one model', async () => {
      let caseNo = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(op, { minLength: 1, maxLength: 14 }), async (keep, ops) => {
          const folder = path.join(dir, `case-${caseNo++}`);
          const file = path.join(folder, 'live.json');
          await saveModel(file, variant('seed', '1.0.0'));
          const archive = new ModelArchive({ modelFile: file, keepVersions: keep });
          const hash = (m: ModelFile) => createHash('sha256').update(serializeModel(m)).digest('hex');
          const names = new Map<string, string>();
          const see = (m: ModelFile, where: string) => {
            const h = hash(m);
            const before = names.get(m.version);
            assert.ok(before === undefined || before === h, `version ${m.version} names two models (${where})`);
            names.set(m.version, h);
          };
          // The model of the promises: which version must be kept.
          let run = false;
          let anchor: string | undefined;
          let rollbacks = 0;
          const pins = new Set<string>();
          const tickets: Array<{ ticket: number; rollbacks: number }> = [];
          /** A rollback keeps the model it replaced until the next publish or unpin, beyond keepVersions. */
          let extra = 0;
          let n = 0;
          for (const step of ops) {
            const live = onDisk(file);
            const kept = (await archive.list()).map((k) => k.version);
            if (step.kind === 'publish' || step.kind === 'finish') {
              const ticket = step.kind === 'finish' ? tickets[step.which % Math.max(1, tickets.length)] : undefined;
              const outcome = await archive.publish(variant(`m${n++}`), { automatic: step.automatic, ...(ticket ? { ticket: ticket.ticket } : {}) });
              if (ticket && ticket.rollbacks < rollbacks) {
                assert.equal(outcome.ok ? 'applied' : outcome.code, 'superseded');
                assert.equal(onDisk(file).version, live.version);
                continue;
              }
              assert.ok(outcome.ok, !outcome.ok ? outcome.message : '');
              if (step.automatic && !run) anchor = live.version;
              run = step.automatic;
              extra = 0;
            } else if (step.kind === 'start') tickets.push({ ticket: archive.ticket(), rollbacks });
            else if (step.kind === 'rollback') {
              const to = step.pick === null ? undefined : kept[step.pick % Math.max(1, kept.length)];
              const outcome = await archive.rollback(to);
              if (to !== undefined) {
                assert.ok(outcome.ok, `rollback to kept ${to}: ${!outcome.ok ? outcome.message : ''}`);
                assert.equal(onDisk(file).version, to);
              }
              if (outcome.ok) {
                rollbacks++;
                run = false;
                extra = 1;
                assert.ok((await archive.list()).some((k) => k.version === live.version), 'the replaced model is kept');
              }
            } else if (step.kind === 'pin') {
              const version = step.pick === null ? undefined : kept[step.pick % Math.max(1, kept.length)];
              const outcome = await archive.pin(version);
              if (outcome.ok) pins.add(outcome.version);
              else assert.ok(pins.size >= MAX_PINS, outcome.message);
            } else {
              const version = [...pins][step.pick % Math.max(1, pins.size)];
              if (version !== undefined && (await archive.unpin(version)).ok) {
                pins.delete(version);
                extra = 0;
              }
            }
            // Invariants after every step.
            const now = await archive.list();
            const versions = now.map((k) => k.version);
            const current = onDisk(file);
            see(current, 'live');
            for (const k of now) {
              const model = onDisk(k.file);
              assert.equal(model.version, k.version);
              see(model, 'archived');
            }
            if (anchor !== undefined) assert.ok(versions.includes(anchor), `the version live before the run (${anchor}) is kept: ${versions.join()}`);
            for (const pinned of pins) assert.ok(versions.includes(pinned), `pinned ${pinned} is kept`);
            const others = versions.filter((v) => v !== anchor && !pins.has(v) && v !== current.version);
            assert.ok(others.length <= keep + extra, `${others.length} unprotected versions kept, keepVersions ${keep}`);
          }
          // Rollback to each version still kept works (each rollback may let an unprotected one go).
          for (const k of (await archive.list()).reverse()) {
            if (!(await archive.list()).some((now) => now.version === k.version)) continue;
            const outcome = await archive.rollback(k.version);
            assert.ok(outcome.ok && onDisk(file).version === k.version, k.version);
          }
        }),
        {
          numRuns: runs(12, 150),
          // Found by the property: a rollback chain that lets an unprotected version go before the final loop reached it.
          examples: [[2, [{ kind: 'publish', automatic: false }, { kind: 'publish', automatic: false }, { kind: 'pin', pick: 1 }, { kind: 'publish', automatic: true }, { kind: 'finish', which: 0, automatic: false }]]],
        },
      );
    });
  });
});
