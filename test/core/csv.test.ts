import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CsvTable, formatCsv, formatCsvProblem, parseCsv } from '../../src/core/model/data/csv';
import { detectTask, encodeLabels, examplesFromRecords, examplesFromTable, featureColumns } from '../../src/core/model/data/dataset';

function table(text: string): CsvTable {
  const result = parseCsv(text);
  assert.ok(result.ok, result.ok ? '' : formatCsvProblem(result.error));
  return result.table;
}

function problem(text: string): string {
  const result = parseCsv(text);
  assert.equal(result.ok, false, 'the CSV was accepted');
  return result.ok ? '' : formatCsvProblem(result.error);
}

describe('model/csv: reader', () => {
  it('reads quoted fields with delimiters, line breaks and doubled quotes', () => {
    const t = table('name,note,value\r\n"Smith, J","said ""hi""\non two lines",3\r\nplain,,4\n');
    assert.deepEqual(t.header, ['name', 'note', 'value']);
    assert.deepEqual(t.rows, [
      ['Smith, J', 'said "hi"\non two lines', '3'],
      ['plain', '', '4'],
    ]);
  });

  it('skips a byte-order mark and blank lines, takes CRLF, LF and CR, and needs no final newline', () => {
    const t = table('\uFEFFa,b\r\n\r\n1,2\r3,4\n\n5,6');
    assert.deepEqual(t.header, ['a', 'b']);
    assert.deepEqual(t.rows, [['1', '2'], ['3', '4'], ['5', '6']]);
    assert.deepEqual(t.position(2, 1), { line: 6, column: 3 });
  });

  it('locates fields after a quoted field that spans lines', () => {
    const t = table('a,b,c\n"x\r\ny\nz",q,r\n1,2,3\n');
    assert.deepEqual(t.position(-1, 2), { line: 1, column: 5 });
    assert.deepEqual(t.position(0, 0), { line: 2, column: 1 });
    assert.deepEqual(t.position(0, 1), { line: 4, column: 4 });
    assert.deepEqual(t.position(1, 2), { line: 5, column: 5 });
  });

  it('names the line and column of each problem', () => {
    assert.equal(problem('a,b\n1,2,3\n'), 'line 2, column 5: expected 2 fields (as in the header), found 3');
    assert.equal(problem('a,b,c\n1,2\n'), 'line 2, column 4: expected 3 fields (as in the header), found 2');
    assert.equal(problem('a,b\n1,"open\n\nstill open'), 'line 2, column 3: quoted field is never closed (missing ")');
    assert.equal(problem('a,b\n1,"x"y\n'), 'line 2, column 6: unexpected "y" after a closing quote (expected "," or end of line)');
    assert.equal(problem('a,b\n1,x"y\n'), 'line 2, column 4: quote inside an unquoted field (quote the whole field and double inner quotes)');
    assert.equal(problem('\n\n'), 'line 1, column 1: the file is empty (no header line)');
    assert.equal(problem('a,b\n"1\n2",3\n4,5,6'), 'line 4, column 5: expected 2 fields (as in the header), found 3');
  });

  it('reads back what the writer wrote (property)', () => {
    const tricky = fc.constantFrom('a', 'Z', ',', '"', '\r', '\n', ' ', '\uFEFF', 'é', '😀', ';');
    const field = fc.oneof(fc.string({ unit: tricky, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }));
    const records = fc.integer({ min: 1, max: 5 }).chain((width) =>
      fc.array(fc.array(field, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 }),
    );
    fc.assert(
      fc.property(records, fc.constantFrom('\n', '\r\n'), fc.constantFrom(',', ';', '\t'), (rows, newline, delimiter) => {
        const result = parseCsv(formatCsv(rows, { newline, delimiter }), { delimiter });
        assert.ok(result.ok, result.ok ? '' : formatCsvProblem(result.error));
        assert.deepEqual([result.table.header, ...result.table.rows], rows);
      }),
      { numRuns: 500 },
    );
  });

  it('writes numbers, booleans and empty values', () => {
    assert.equal(formatCsv([['a', 1.5, true, null, undefined], [''], ['x"y', 'p,q']]), 'a,1.5,true,,\n""\n"x""y","p,q"\n');
  });
});

describe('model/dataset: examples from a CSV table', () => {
  const csv = [
    'deviceId,ts,temp,hum,truth.occupied,state,note',
    'd1,1000,21.5,40,1,idle,x',
    'd1,2000,22.5,41,0,cooking,y',
    'd2,3000,19,55,1,idle,z',
    'd2,4000,25,38,0,sleeping,w',
  ].join('\n');

  it('takes every column but label, deviceId, ts, ignored and truth.* as features', () => {
    assert.deepEqual(featureColumns(['deviceId', 'ts', 'temp', 'truth.occupied', 'state', 'note'], 'state', ['note']), ['temp']);
    const result = examplesFromTable(table(csv), { label: 'state', ignore: ['note'] });
    assert.ok(result.ok);
    const { examples } = result;
    assert.deepEqual(examples.featureNames, ['temp', 'hum']);
    assert.deepEqual(examples.rows.map((r) => Array.from(r)), [[21.5, 40], [22.5, 41], [19, 55], [25, 38]]);
    assert.equal(examples.task, 'classification');
    assert.deepEqual(examples.labels, ['cooking', 'idle', 'sleeping']);
    assert.deepEqual(Array.from(examples.target), [1, 0, 1, 2]);
  });

  it('reports a non-numeric feature value at its line and column', () => {
    const result = examplesFromTable(table(csv.replace('41,0', 'forty-one,0')), { label: 'state', ignore: ['note'] });
    assert.ok(!result.ok && 'line' in result.error);
    assert.equal(formatCsvProblem(result.error), 'line 3, column 14: "forty-one" is not a number in feature column "hum"');
    // An empty cell is a missing value now (issue #24; test/core/missing-values.test.ts).
    const empty = examplesFromTable(table(csv.replace('19,55', '19,')), { label: 'state', ignore: ['note'] });
    assert.ok(empty.ok && Number.isNaN(empty.examples.rows[2][1]));
  });

  it('refuses a missing label column, unknown ignored columns and duplicate headers', () => {
    const noLabel = examplesFromTable(table(csv), { label: 'activity' });
    assert.ok(!noLabel.ok && /no column named "activity"/.test(noLabel.error.message));
    const unknown = examplesFromTable(table(csv), { label: 'state', ignore: ['nope'] });
    assert.ok(!unknown.ok && /--ignore names "nope"/.test(unknown.error.message));
    const duplicate = examplesFromTable(table('a,b,a\n1,2,3\n'), { label: 'b' });
    assert.ok(!duplicate.ok && 'line' in duplicate.error && formatCsvProblem(duplicate.error) === 'line 1, column 5: duplicate column name "a"');
  });

  it('chooses regression for a numeric label with more than 10 distinct values', () => {
    assert.equal(detectTask(['1', '2', '3']), 'classification');
    assert.equal(detectTask(Array.from({ length: 11 }, (_, i) => String(i / 2))), 'regression');
    assert.equal(detectTask(Array.from({ length: 10 }, (_, i) => String(i))), 'classification');
    assert.equal(detectTask([...Array.from({ length: 20 }, (_, i) => String(i)), 'n/a']), 'classification');
    const forced = examplesFromTable(table('x,y\n1,a\n2,b\n'), { label: 'y', task: 'regression' });
    assert.ok(!forced.ok && 'line' in forced.error && /line 2, column 3: label "a" is not a number/.test(formatCsvProblem(forced.error)));
  });

  it('builds examples from collected feature messages, keeping gaps as missing (NaN) instead of filling them', () => {
    const result = examplesFromRecords([
      { features: { 'temp.mean': 20, 'hum.mean': 40 }, label: 'idle' },
      { features: { 'hum.mean': 45, 'temp.mean': 26 }, label: 'cooking' },
    ]);
    assert.ok(result.ok);
    assert.deepEqual(result.examples.featureNames, ['hum.mean', 'temp.mean']);
    assert.deepEqual(result.examples.rows.map((r) => Array.from(r)), [[40, 20], [45, 26]]);
    assert.deepEqual(result.examples.labels, ['cooking', 'idle']);
    const gap = examplesFromRecords([
      { features: { a: 1, b: 2 }, label: 1 },
      { features: { a: 3 }, label: 2 },
    ]);
    assert.ok(gap.ok && Number.isNaN(gap.examples.rows[1][1]) && gap.examples.rows[0][1] === 2);
    const text = examplesFromRecords([{ features: { a: '3' }, label: 1 }]);
    assert.ok(!text.ok && text.error.message === 'example 0: feature "a" is "3", not a finite number');
    const noLabel = examplesFromRecords([{ features: { a: 3 }, label: null }]);
    assert.ok(!noLabel.ok && /example 0: label/.test(noLabel.error.message));
  });

  it('encodes labels sorted, numerically when they are numbers', () => {
    assert.deepEqual(encodeLabels(['10', '9', '10', '-1']).labels, ['-1', '9', '10']);
    assert.deepEqual(Array.from(encodeLabels(['b', 'a', 'b']).codes), [1, 0, 1]);
  });
});
