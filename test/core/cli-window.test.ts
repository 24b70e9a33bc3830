import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runWindow } from '../../src/cli/windowing';
import { parseCsv } from '../../src/core/model/data/csv';
import { WindowEngine, parseWindowConfig } from '../../src/core/window';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
}

describe('iot-ai window', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-window-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the same feature rows the feature-window engine emits, with each window\'s latest label', async () => {
    const t0 = 1764072000; // epoch seconds, as many CSVs hold them
    const lines = ['deviceId,ts,temp,motion,truth.occupancy'];
    for (let i = 0; i < 30; i++) lines.push(`room${i % 2},${t0 + i * 2},${20 + i / 10},${i % 3 === 0},${i < 15 ? 'empty' : 'occupied'}`);
    fs.writeFileSync(path.join(dir, 'readings.csv'), lines.join('\n') + '\n');
    const windowProps = { window: 'tumbling', size: 20, unit: 's', features: ['mean', 'max', 'count'] };
    fs.writeFileSync(path.join(dir, 'window.json'), JSON.stringify(windowProps));
    const { out, io: cliIo } = io();
    const code = await runWindow(['--data', path.join(dir, 'readings.csv'), '--window', path.join(dir, 'window.json'), '--out', path.join(dir, 'features.csv'), '--label', 'truth.occupancy'], cliIo);
    assert.equal(code, 0, out.stderr);
    const table = parseCsv(fs.readFileSync(path.join(dir, 'features.csv'), 'utf8'));
    assert.ok(table.ok);
    assert.deepEqual(table.table.header, ['deviceId', 'start', 'end', 'temp.mean', 'temp.max', 'temp.count', 'motion.mean', 'motion.max', 'motion.count', 'truth.occupancy']);

    // The node's engine, fed the same readings, gives the same windows.
    const config = parseWindowConfig(windowProps);
    assert.ok(config.ok);
    const engine = new WindowEngine(config.config);
    const expected: string[][] = [];
    const collect = (events: ReturnType<WindowEngine['add']>) => {
      for (const e of events) if (e.kind === 'window') expected.push([e.payload.deviceId, String(e.payload.start), String(e.payload.end), ...['temp.mean', 'temp.max', 'temp.count', 'motion.mean', 'motion.max', 'motion.count'].map((f) => String(e.payload.features[f]))]);
    };
    for (let i = 0; i < 30; i++) {
      const ts = (t0 + i * 2) * 1000;
      collect(engine.add({ deviceId: `room${i % 2}`, sensor: 'temp', value: 20 + i / 10, ts }, ts));
      collect(engine.add({ deviceId: `room${i % 2}`, sensor: 'motion', value: i % 3 === 0, ts }, ts));
    }
    collect(engine.flush());
    assert.deepEqual(table.table.rows.map((r) => r.slice(0, -1)), expected);
    const lastRoom0 = table.table.rows.filter((r) => r[0] === 'room0').at(-1)!;
    assert.equal(lastRoom0.at(-1), 'occupied', "a window's label is the label of the latest row inside it");
    assert.match(out.stdout, /windows of 30 rows/);
  });

  it('names the line and column of a bad timestamp, and refuses a bad window config', async () => {
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'deviceId,ts,temp\nd,1700000000,1\nd,yesterday,2\n');
    fs.writeFileSync(path.join(dir, 'window.json'), '{"window":"sliding","size":10}');
    const a = io();
    assert.equal(await runWindow(['--data', path.join(dir, 'bad.csv'), '--window', path.join(dir, 'window.json'), '--out', path.join(dir, 'o.csv')], a.io), 1);
    assert.match(a.out.stderr, /slide is required/);
    fs.writeFileSync(path.join(dir, 'window.json'), '{"window":"tumbling","size":10}');
    const b = io();
    assert.equal(await runWindow(['--data', path.join(dir, 'bad.csv'), '--window', path.join(dir, 'window.json'), '--out', path.join(dir, 'o.csv')], b.io), 1);
    assert.match(b.out.stderr, /line 3, column 3: ts "yesterday"/);
  });
});
