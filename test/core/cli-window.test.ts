import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTrain } from '../../src/cli/train';
import { runWindow, windowExamples } from '../../src/cli/windowing';
import { parseModelFile } from '../../src/core/model/file/model-file';
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

  /**
   * Two machines whose vibration differs only in frequency (2 Hz or 6 Hz, same amplitude and level, with noise):
   * mean, std, min and max cannot tell them apart, the spectral features can.
   */
  function vibrationCsv(): string {
    const lines = ['deviceId,ts,vib,state'];
    let seed = 3;
    const noise = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.4;
    for (const device of ['m1', 'm2', 'm3', 'm4']) {
      for (let i = 0; i < 50 * 120; i++) {
        const state = Math.floor(i / (50 * 10)) % 2 === 0 ? 'idle' : 'worn'; // 10 s stretches
        const hz = state === 'idle' ? 2 : 6;
        const t = i / 50; // 50 Hz
        lines.push(`${device},${1_700_000_000_000 + i * 20},${(10 + Math.sin(2 * Math.PI * hz * t + device.length) + noise()).toFixed(4)},${state}`);
      }
    }
    return lines.join('\n') + '\n';
  }

  it('spectral features: iot-ai window writes them as the engine emits them, and train --window learns from them what moments cannot (#21.5)', async () => {
    fs.writeFileSync(path.join(dir, 'vib.csv'), vibrationCsv());
    const moments = { window: 'tumbling', size: 2, unit: 's', features: ['mean', 'std', 'min', 'max'] };
    const spectral = { ...moments, features: [...moments.features, 'domFreq', 'bandEnergy'], bands: '0-4, 4-8', spectralPoints: 128 };
    fs.writeFileSync(path.join(dir, 'moments.json'), JSON.stringify(moments));
    fs.writeFileSync(path.join(dir, 'spectral.json'), JSON.stringify(spectral));

    const { out, io: cliIo } = io();
    assert.equal(await runWindow(['--data', path.join(dir, 'vib.csv'), '--window', path.join(dir, 'spectral.json'), '--out', path.join(dir, 'f.csv'), '--label', 'state'], cliIo), 0, out.stderr);
    const table = parseCsv(fs.readFileSync(path.join(dir, 'f.csv'), 'utf8'));
    assert.ok(table.ok);
    assert.deepEqual(table.table.header, ['deviceId', 'start', 'end', 'vib.mean', 'vib.std', 'vib.min', 'vib.max', 'vib.domFreq', 'vib.band0to4Hz', 'vib.band4to8Hz', 'state']);
    const config = parseWindowConfig(spectral);
    assert.ok(config.ok);
    const engine = new WindowEngine(config.config);
    const expected: string[][] = [];
    const collect = (events: ReturnType<WindowEngine['add']>) => {
      for (const e of events) if (e.kind === 'window') expected.push([e.payload.deviceId, String(e.payload.start), String(e.payload.end), ...Object.values(e.payload.features).map(String)]);
    };
    for (const line of vibrationCsv().trim().split('\n').slice(1)) {
      const [deviceId, ts, vib] = line.split(',');
      collect(engine.add({ deviceId, sensor: 'vib', value: Number(vib), ts: Number(ts) }, Number(ts)));
    }
    collect(engine.flush());
    assert.deepEqual(table.table.rows.map((r) => r.slice(0, -1)), expected, 'the same values as the node');
    const domFreq = table.table.header.indexOf('vib.domFreq');
    for (const row of table.table.rows.filter((r) => Number(r[2]) - Number(r[1]) === 2000 && r[0] === 'm1').slice(0, 8)) {
      assert.ok(Math.abs(Number(row[domFreq]) - (row.at(-1) === 'idle' ? 2 : 6)) < 0.6, `${row.at(-1)}: domFreq ${row[domFreq]}`);
    }

    const accuracy = async (window: string): Promise<{ accuracy: number; model: string }> => {
      const model = path.join(dir, `${window}-model.json`);
      const run = io();
      const code = await runTrain(['--data', path.join(dir, 'vib.csv'), '--label', 'state', '--window', path.join(dir, `${window}.json`), '--out', model, '--trees', '30'], run.io, { windowExamples });
      assert.equal(code, 0, run.out.stderr);
      assert.match(run.out.stdout, /newest of each device's time line/, 'a time-ordered split');
      return { accuracy: Number(/^ {2}accuracy\s+([\d.]+)/m.exec(run.out.stdout)?.[1]), model };
    };
    const without = await accuracy('moments');
    const withSpectral = await accuracy('spectral');
    assert.ok(withSpectral.accuracy >= 0.95, `with spectral features: ${withSpectral.accuracy}`);
    assert.ok(without.accuracy < 0.8, `moments alone: ${without.accuracy}`);
    const file = parseModelFile(fs.readFileSync(withSpectral.model, 'utf8'));
    assert.ok(file.ok, JSON.stringify(file));
    assert.deepEqual(file.model.featureNames, ['vib.mean', 'vib.std', 'vib.min', 'vib.max', 'vib.domFreq', 'vib.band0to4Hz', 'vib.band4to8Hz']);
    assert.deepEqual(file.model.window, { window: 'tumbling', size: 2, unit: 's', features: spectral.features, bands: '0-4, 4-8', spectralPoints: 128 }, 'the model keeps the spectral settings');
  });
});
