/**
 * Issue 18.12: what the README shows a newcomer is what the code does. The window.json it shows is a window file
 * `iot-ai window` takes, with the features of the model the samples use; the summary line it shows is in the
 * format start.js prints, at the rate the default sample makes (a reading is one sensor value); and every example
 * shares the one broker config npm start points at its broker (18.4).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runWindow } from '../../src/cli/windowing';
import { parseCsv } from '../../src/core/model/data/csv';
import { parseWindowConfig } from '../../src/core/window';

const root = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
type Node = Record<string, unknown> & { id: string; type: string };
const flow = (file: string) => JSON.parse(fs.readFileSync(path.join(root, 'flows', file), 'utf8')) as Node[];

describe('README: what npm start and the iot-ai command show', () => {
  it('shows a window.json that iot-ai window takes, the samples\' window with the bundled model\'s features', async () => {
    const block = /`window\.json` \(`--window`\)[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'the README shows a window.json');
    const props = JSON.parse(block[1]) as Record<string, unknown>;
    const parsed = parseWindowConfig(props);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const sample = flow('smart-home.json').find((n) => n.type === 'feature-window')!;
    for (const key of ['window', 'size', 'slide', 'unit', 'fill']) assert.deepEqual(props[key], sample[key], key);
    const model = JSON.parse(fs.readFileSync(path.join(root, 'models', 'home-occupancy.json'), 'utf8')) as { featureNames: string[] };
    const names = (props.sensors as string[]).flatMap((s) => (props.features as string[]).map((f) => `${s}.${f}`));
    assert.deepEqual(names.sort(), [...model.featureNames].sort(), 'the features home-occupancy needs');

    // And iot-ai window writes those columns from it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-readme-'));
    try {
      const lines = ['deviceId,ts,temperature,humidity,light,co2,motion'];
      for (let i = 0; i < 40; i++) lines.push(`room,${1764072000 + i * 5},${20 + i / 10},50,${i * 3},600,${i % 2}`);
      fs.writeFileSync(path.join(dir, 'readings.csv'), lines.join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'window.json'), block[1]);
      const out = { stdout: '', stderr: '' };
      const io = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } };
      const code = await runWindow(['--data', path.join(dir, 'readings.csv'), '--window', path.join(dir, 'window.json'), '--out', path.join(dir, 'features.csv')], io);
      assert.equal(code, 0, out.stderr);
      const table = parseCsv(fs.readFileSync(path.join(dir, 'features.csv'), 'utf8'));
      assert.ok(table.ok);
      assert.deepEqual(table.table.header.slice(0, 3), ['deviceId', 'start', 'end']);
      assert.deepEqual(table.table.header.slice(3).sort(), [...names].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows the summary line in start.js\'s format, at the rate of readings (sensor values) the default sample makes', () => {
    const line = /```\n([\d.]+ readings\/s · \d+ rejected · \d+ predictions · accuracy [\d.]+% · commands \d+ sent, \d+ acked, \d+ failed)( · forecasts \d+ held until due)?\n/.exec(readme);
    assert.ok(line, 'the README shows a summary line in the format start.js prints');
    const start = fs.readFileSync(path.join(root, 'scripts', 'start.js'), 'utf8');
    assert.ok(start.includes('`${rate.toFixed(1)} readings/s · ${stats.rejects} rejected · ${stats.predictions} predictions · accuracy ${accuracy} · commands ${stats.sent} sent, ${stats.acked} acked, ${stats.failed} failed` + ahead'), 'start.js prints that format');
    // Issue 16: then the forecasts, held until the time they are for (as 90 s after a first start), later scored.
    assert.ok(start.includes("` · forecasts ${held} held until due`") && start.includes('` · forecasts ${scored}`'), 'start.js adds the forecasts');
    if (line[2] !== undefined) assert.match(readme, /```\n[^\n]* · forecasts occupancy [\d.]+% \(persistence [\d.]+%\) of \d+\n```/, 'and the README shows a scored one too');
    // The default sample (npm start with no flags): its devices × sensors per report ÷ interval.
    const home = flow('smart-home.json');
    const sim = home.find((n) => n.type === 'sensor-sim')!;
    const sensors = (home.find((n) => n.type === 'sensor-ingest')!.sensors as unknown[]).length;
    const rate = ((Number(sim.devices) * sensors) / Number(sim.interval)) * 1000;
    assert.equal(line[1].split(' ')[0], rate.toFixed(1), 'readings/s as the default sample makes them: one reading per sensor value');
  });

  it('every example with MQTT nodes uses one shared broker config (id iot-ai-local-broker) at 127.0.0.1:1883, as a plain import needs', () => {
    for (const file of fs.readdirSync(path.join(root, 'flows')).filter((f) => f.endsWith('.json'))) {
      const nodes = flow(file);
      const brokers = nodes.filter((n) => n.type === 'mqtt-broker');
      const users = nodes.filter((n) => n.type === 'mqtt in' || n.type === 'mqtt out');
      if (users.length === 0) {
        assert.equal(brokers.length, 0, `${file}: no broker config without MQTT nodes`);
        continue;
      }
      assert.deepEqual(brokers.map((b) => [b.id, b.name, b.broker, b.port]), [['iot-ai-local-broker', 'local broker', '127.0.0.1', '1883']], file);
      for (const n of users) assert.equal(n.broker, 'iot-ai-local-broker', `${file}: ${n.id}`);
    }
  });
});
