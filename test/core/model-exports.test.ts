/**
 * msg.export's files (src/core/model/file/exports.ts) and CSV formula escaping (csv.ts): exports land only in their
 * own folder and never replace a file they did not write, whatever the requested path; escaped CSV reads back
 * exactly, and no cell of it starts like a spreadsheet formula unless it is a number.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { escapeFormula, formatCsv, parseCsv, unescapeFormula, type CsvValue } from '../../src/core/model/data/csv';
import { EXPORTS_FOLDER, writeExport } from '../../src/core/model/file/exports';
import { runs } from '../helpers/fuzz';

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

describe('exports and CSV escaping', function () {
  this.timeout(120_000);
  let userDir: string;
  let outside: string;
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-exports-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-outside-'));
  });
  afterEach(() => {
    fs.rmSync(userDir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  /** Every file under `folder`, relative, with its content. */
  const snapshot = (folder: string): Map<string, string> => {
    const files = new Map<string, string>();
    const walk = (at: string) => {
      for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
        const full = path.join(at, entry.name);
        if (entry.isSymbolicLink()) files.set(path.relative(folder, full), `-> ${fs.readlinkSync(full)}`);
        else if (entry.isDirectory()) walk(full);
        else files.set(path.relative(folder, full), fs.readFileSync(full, 'utf8'));
      }
    };
    walk(folder);
    return files;
  };

  it('any requested path is refused or written inside the export folder, and no file it did not write changes (property)', async () => {
    const folder = path.join(userDir, EXPORTS_FOLDER);
    fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    fs.writeFileSync(path.join(userDir, 'settings.js'), 'module.exports = {};');
    fs.writeFileSync(path.join(folder, 'user.csv'), 'mine');
    fs.writeFileSync(path.join(outside, 'target.csv'), 'outside');
    fs.symlinkSync(outside, path.join(folder, 'out'));
    fs.symlinkSync(userDir, path.join(folder, 'home'));
    fs.symlinkSync(path.join(outside, 'target.csv'), path.join(folder, 'file-link.csv'));
    fs.symlinkSync(path.join(userDir, 'settings.js'), path.join(folder, 'settings-link.js'));
    const untouchable = () => [
      snapshot(outside),
      fs.readdirSync(userDir).sort(),
      ...['flows.json', 'settings.js', path.join(EXPORTS_FOLDER, 'user.csv')].map((f) => fs.readFileSync(path.join(userDir, f), 'utf8')),
      ...['out', 'home', 'file-link.csv', 'settings-link.js'].map((f) => fs.readlinkSync(path.join(folder, f))),
    ];
    const before = untouchable();
    const root = fs.realpathSync(folder);
    const requested = fc.oneof(
      fc.constantFrom('flows.json', 'settings.js', '../flows.json', '../settings.js', 'home/settings.js', 'out/x.csv', 'out/new/y.csv', 'file-link.csv', 'settings-link.js', 'user.csv', 'sub', 'sub/a.csv', '.exports.json', '.exports.lock', 'a/.hidden', '/etc/passwd', path.join(userDir, 'flows.json'), 'C:\\x.csv', '\\\\server\\share\\x', 'a\\..\\..\\x', 'a/b/../../../x', '', ' ', '\0', 'x\0.csv', 'a//b.csv', 'ok.csv'),
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .tuple(fc.array(fc.constantFrom('..', '.', 'a', 'b.csv', 'out', 'home', 'sub', '', 'settings.js'), { minLength: 1, maxLength: 5 }), fc.constantFrom('/', '\\'))
        .map(([parts, separator]) => parts.join(separator)),
    );
    await fc.assert(
      fc.asyncProperty(requested, async (request) => {
        const result = await writeExport(userDir, request, 'a,b\n1,2\n');
        if (result.ok) {
          const real = fs.realpathSync(result.file);
          assert.ok(real.startsWith(root + path.sep), `${JSON.stringify(request)} → ${real}`);
          assert.equal(fs.readFileSync(real, 'utf8'), 'a,b\n1,2\n');
        }
        assert.deepEqual(untouchable(), before, JSON.stringify(request));
      }),
      { numRuns: runs(80, 2000) },
    );
  });

  it('an export folder that is a link (to the user directory, say) is refused', async () => {
    fs.symlinkSync(userDir, path.join(userDir, EXPORTS_FOLDER));
    fs.writeFileSync(path.join(userDir, 'settings.js'), 'module.exports = {};');
    const result = await writeExport(userDir, 'settings.js', 'x');
    assert.equal(result.ok, false);
    assert.equal(fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8'), 'module.exports = {};');
  });

  it('remembers the files it wrote up to a bound; a file it forgot is no longer replaced', async () => {
    for (const name of ['a.csv', 'b.csv', 'c.csv']) assert.ok((await writeExport(userDir, name, name, { maxTracked: 2 })).ok);
    const manifest = JSON.parse(fs.readFileSync(path.join(userDir, EXPORTS_FOLDER, '.exports.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.files), ['b.csv', 'c.csv']);
    assert.ok((await writeExport(userDir, 'c.csv', 'again', { maxTracked: 2 })).ok);
    assert.deepEqual(await writeExport(userDir, 'a.csv', 'again', { maxTracked: 2 }).then((r) => r.ok), false);
    assert.equal(fs.readFileSync(path.join(userDir, EXPORTS_FOLDER, 'a.csv'), 'utf8'), 'a.csv');
  });

  it('two exports at once to one name: both finish, the file holds one of them whole', async () => {
    const results = await Promise.all([writeExport(userDir, 'same.csv', 'one\n'.repeat(10000)), writeExport(userDir, 'same.csv', 'two\n'.repeat(10000))]);
    assert.deepEqual(results.map((r) => r.ok), [true, true], 'the second replaces the first, which an export wrote');
    const text = fs.readFileSync(path.join(userDir, EXPORTS_FOLDER, 'same.csv'), 'utf8');
    assert.ok(text === 'one\n'.repeat(10000) || text === 'two\n'.repeat(10000));
  });

  describe('formula escaping', function () {
    const cell: fc.Arbitrary<CsvValue> = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom('=1+1', '+1', '-1', '-x', '@SUM(A1)', '\t=x', '\r=x', "'=x", "''=x", "'", "'-3", '-3.2', '+4e5', '-.5', '-', '=', '-Infinity', 'NaN', ''),
      fc.double(),
      fc.integer(),
    );
    const records = fc.integer({ min: 1, max: 5 }).chain((width) => fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 6 }));

    it('formatCsv and parseCsv with formulaEscape are inverses, and no written cell starts a formula (property)', () => {
      fc.assert(
        fc.property(records, (rows) => {
          const text = formatCsv(rows, { formulaEscape: true });
          const expected = rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : String(v))));
          const back = parseCsv(text, { formulaEscape: true });
          assert.ok(back.ok, text);
          assert.deepEqual([back.table.header, ...back.table.rows], expected);
          const raw = parseCsv(text);
          assert.ok(raw.ok);
          for (const c of [raw.table.header, ...raw.table.rows].flat()) assert.ok(!/^[=+\-@\t\r]/.test(c) || NUMBER.test(c), JSON.stringify(c));
        }),
        { numRuns: runs(1000, 20_000) },
      );
    });

    it('leaves numbers alone and escapes text', () => {
      assert.deepEqual(['-3.2', '+1', '-1e-7', '-.5'].map(escapeFormula), ['-3.2', '+1', '-1e-7', '-.5']);
      assert.deepEqual(['=1+1', '-x', '@a', '+', "'=x", '\tx'].map(escapeFormula), ["'=1+1", "'-x", "'@a", "'+", "''=x", "'\tx"]);
      assert.deepEqual(["'-3", "'abc", 'abc'].map(unescapeFormula), ['-3', "'abc", 'abc']);
    });
  });
});
