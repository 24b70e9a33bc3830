/**
 * Injected sensor faults of the simulator (`anomalies`): off changes nothing (hashes of the output taken before the
 * feature existed), on is deterministic, tracks the configured share of device time, and its truth says exactly what
 * was done to the values.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { runSimulate } from '../../src/cli/simulate';
import { parseCsv } from '../../src/core/model/data/csv';
import {
  ANOMALY_DURATIONS,
  ANOMALY_TRUTH_NAMES,
  SCENARIOS,
  SIM_FORMATS,
  createScenario,
  parseSimConfig,
  type ScenarioName,
  type ScenarioOptions,
  type SimReading,
} from '../../src/core/sim';
import { AnomalyInjector } from '../../src/core/sim/anomalies';
import type { SimDevice } from '../../src/core/sim/device';
import { Random } from '../../src/core/sim/signals';
import { runs } from '../helpers/fuzz';

const START = Date.UTC(2024, 5, 3);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * sha256 of the readings (JSON) and of `iot-ai simulate --csv` output, taken from the simulator before anomalies
 * existed (commit 3994cb0): 4 devices, seed 7, 6 hours; CSV: 3 devices, seed 3, 7200 s.
 */
const BEFORE: Record<string, string> = {
  'home/senml/faults': '3ba1a1dca824ea74c1b312ae1adf7a4431db79511754438f3599094a607f6ab7',
  'home/senml/clean': '1f39967a288dfb9b8741c4fc584234d832b8802a937f035fc14dbd37484042d7',
  'home/json/faults': '79fe8086a9efcc4420621caf7933a72e1744914016cb1a217b8f629d632e2ebe',
  'home/json/clean': '5b867d15922ce4f35d623f6e17412a079e8fed7a9d35c2000aa5512cda720072',
  'city/senml/faults': 'fcca8d159db6508624e68805ff67aa69e3e3bd1c3de6773a23aa1b6cf8783021',
  'city/senml/clean': 'b66a1092c3bc95fc8aec779edbc377ad8095e90a31a22a188e506061c8e61456',
  'city/json/faults': '6a53fba15485a069b236790fce92df6769a0d8054c8a5671451fc8af43df3d46',
  'city/json/clean': '27e4c1a8c7070b26d35f7c0c5744245b99169276a2bd4c61c44d4e73b1f33008',
  'health/senml/faults': 'a2586dcb52444eb041e4bab9c03e97624c83d0dc4098093bd01ce899fe254774',
  'health/senml/clean': '75fff52497b702d10f4c5cac8c9653201a6ed43f9a85731f69b132a2903ad48a',
  'health/json/faults': '7f97111339460a9fcd30848e3c380a5dc2bbec2d4626b3458931a95eea0f8faa',
  'health/json/clean': 'ef0401cd65c7dbee5730b45eea06cebf4cd0d2e9e16366eb8eeed9a480b01382',
  'csv/home': 'd9e72b0c066d477a19114f97fe41c83bd3fb6fd199f0cb659efe358f7197a0ed',
  'csv/city': 'de42fe166e7450fa523c178799b94069b1d13db8ec7d8ef1fff6ca1b3d96d052',
  'csv/health': 'fae413f07b2f31fd7ca525aea022c979611bf58062094a2c322f7580dca5ce07',
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function run(scenario: ScenarioName, options: Partial<ScenarioOptions>, hours: number): SimReading[] {
  const sim = createScenario(scenario, { devices: 4, seed: 1, interval: 5000, startTime: START, ...options });
  return sim.advanceTo(START + hours * HOUR - 1);
}

async function csv(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runSimulate(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

/**
 * Truth fields added after these hashes were taken, each by a later feature that left everything else as it was:
 * health's `heartRate` (the true rate, for the sample heart-rate forecast, #16). Removed before hashing.
 */
const LATER_TRUTH = ['heartRate'];
function withoutLaterTruth(reading: SimReading): SimReading {
  const truth = { ...reading.truth };
  for (const name of LATER_TRUTH) delete (truth as Record<string, unknown>)[name];
  return { ...reading, truth };
}
function csvWithoutLaterTruth(text: string): string {
  const lines = text.split('\n');
  const header = lines[0].split(',');
  const drop = new Set(LATER_TRUTH.map((name) => header.indexOf(`truth.${name}`)).filter((i) => i >= 0));
  if (drop.size === 0) return text;
  return lines.map((line) => (line === '' ? line : line.split(',').filter((_, i) => !drop.has(i)).join(','))).join('\n');
}

/** Contiguous runs of readings of one device whose truth has the same anomaly kind and sensor (not `none`). */
function episodes(readings: SimReading[], deviceId: string): Array<{ kind: string; sensor: string; readings: SimReading[] }> {
  const found: Array<{ kind: string; sensor: string; readings: SimReading[] }> = [];
  let current: { kind: string; sensor: string; readings: SimReading[] } | undefined;
  for (const reading of readings.filter((r) => r.deviceId === deviceId)) {
    const kind = String(reading.truth.anomalyKind);
    const sensor = String(reading.truth.anomalySensor);
    if (kind === 'none') {
      current = undefined;
      continue;
    }
    // A spike is one reading; two in a row are two episodes.
    if (current && current.kind === kind && current.sensor === sensor && kind !== 'spike') current.readings.push(reading);
    else found.push((current = { kind, sensor, readings: [reading] }));
  }
  return found;
}

describe('core/sim: injected anomalies', function () {
  this.timeout(60_000);

  it('off (no property, or 0) gives exactly the output of before the feature, readings and CSV', async () => {
    for (const scenario of SCENARIOS) {
      for (const format of SIM_FORMATS) {
        for (const faults of [true, false]) {
          const key = `${scenario}/${format}/${faults ? 'faults' : 'clean'}`;
          const options = { devices: 4, seed: 7, interval: 5000, format, faults, startTime: START };
          for (const extra of [{}, { anomalies: 0 }]) {
            const readings = createScenario(scenario, { ...options, ...extra }).advanceTo(START + 6 * HOUR - 1);
            assert.equal(sha256(JSON.stringify(readings.map(withoutLaterTruth))), BEFORE[key], `${key} ${JSON.stringify(extra)}`);
          }
        }
      }
      for (const extra of [[], ['--anomalies', '0']]) {
        const out = await csv(['--scenario', scenario, '--csv', '-', '--devices', '3', '--duration', '7200', '--seed', '3', ...extra]);
        assert.equal(out.code, 0, out.stderr);
        assert.equal(sha256(csvWithoutLaterTruth(out.stdout)), BEFORE[`csv/${scenario}`], `csv ${scenario} ${extra.join(' ')}`);
      }
    }
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario}: deterministic for a seed; the truth gains anomaly, anomalyKind and anomalySensor`, () => {
      const a = run(scenario, { anomalies: 0.2, seed: 5, interval: 30_000 }, 24);
      const b = run(scenario, { anomalies: 0.2, seed: 5, interval: 30_000 }, 24);
      const c = run(scenario, { anomalies: 0.2, seed: 6, interval: 30_000 }, 24);
      assert.deepEqual(a, b);
      const timeline = (readings: SimReading[]) => readings.map((r) => r.truth.anomalyKind).join();
      assert.notEqual(timeline(a), timeline(c));
      const sim = createScenario(scenario, { anomalies: 0.1, startTime: START });
      assert.deepEqual(sim.truthNames.slice(-3), [...ANOMALY_TRUTH_NAMES]);
      for (const reading of a) {
        assert.deepEqual(Object.keys(reading.truth), [...sim.truthNames]);
        assert.equal(reading.truth.anomaly, reading.truth.anomalyKind !== 'none');
        assert.equal(reading.truth.anomalySensor === 'none', reading.truth.anomalyKind === 'none');
      }
      assert.ok(a.some((r) => r.truth.anomaly === true) && a.some((r) => r.truth.anomaly === false));
    });
  }

  for (const scenario of ['home', 'city'] as const) {
    it(`${scenario}: the truth is what was done — unaffected readings unchanged, stuck repeats, drift ramps, spike jumps`, () => {
      const options = { anomalies: 0.15, seed: 9, faults: false, interval: 20_000 };
      const faulty = run(scenario, options, 48);
      const clean = run(scenario, { ...options, anomalies: 0 }, 48);
      assert.equal(faulty.length, clean.length);
      const sensors = createScenario(scenario, { startTime: START }).sensors;
      const seen = new Set<string>();
      for (let i = 0; i < faulty.length; i++) {
        const [f, c] = [faulty[i], clean[i]];
        assert.equal(f.ts, c.ts);
        const { anomaly, anomalySensor, ...truth } = f.truth;
        void anomaly;
        const { anomalyKind, ...rest } = truth;
        void anomalyKind;
        assert.deepEqual(rest, c.truth, 'the scenario truth does not change');
        for (const sensor of sensors) {
          if (sensor.name !== anomalySensor) assert.equal(f.values[sensor.name], c.values[sensor.name], `${f.deviceId} ${sensor.name} at ${f.ts}`);
        }
      }
      for (const deviceId of new Set(faulty.map((r) => r.deviceId))) {
        for (const episode of episodes(faulty, deviceId)) {
          seen.add(episode.kind);
          const sensor = sensors.find((s) => s.name === episode.sensor)!;
          const faults = sensor.faults!;
          const values = episode.readings.map((r) => r.values[sensor.name] as number);
          const offsets = episode.readings.map((r) => (r.values[sensor.name] as number) - (clean[faulty.indexOf(r)].values[sensor.name] as number));
          if (episode.kind === 'stuck') {
            assert.ok(values.every((v) => v === values[0]), `${deviceId} ${sensor.name} stuck: ${values.slice(0, 5)}`);
          } else if (episode.kind === 'spike') {
            const clamped = values[0] === sensor.min || values[0] === sensor.max;
            assert.ok(clamped || Math.abs(offsets[0]) >= faults.spike[0] - 1e-6, `spike of ${offsets[0]}`);
          } else if (episode.kind === 'drift' && episode.readings.length >= 20 && !values.some((v) => v === sensor.min || v === sensor.max)) {
            // (a drift that ran into the end of the sensor's range is clamped there)
            // The offset ramps away from 0 at a steady rate: least squares on time explains nearly all of it.
            const t = episode.readings.map((r) => r.ts - episode.readings[0].ts);
            const n = t.length;
            const mt = t.reduce((a, b) => a + b, 0) / n;
            const mo = offsets.reduce((a, b) => a + b, 0) / n;
            const sxy = t.reduce((s, ti, k) => s + (ti - mt) * (offsets[k] - mo), 0);
            const sxx = t.reduce((s, ti) => s + (ti - mt) ** 2, 0);
            const syy = offsets.reduce((s, o) => s + (o - mo) ** 2, 0);
            assert.ok(sxy ** 2 / (sxx * syy) > 0.98, `drift of ${sensor.name} is a ramp (R² ${(sxy ** 2 / (sxx * syy)).toFixed(3)})`);
            assert.ok(Math.abs(offsets[0]) <= Math.abs(offsets[n - 1]), 'it starts small');
            const rate = Math.abs(sxy / sxx);
            const longest = ANOMALY_DURATIONS.drift.max;
            assert.ok(rate >= faults.drift[0] / longest - 1e-12, `drift rate ${rate}`);
          }
        }
      }
      assert.deepEqual([...seen].sort(), ['drift', 'spike', 'stuck']);
    });
  }

  it('city: stuck and drifting air-quality sensors (pm25, no2) last minutes to hours', () => {
    const readings = run('city', { anomalies: 0.1, seed: 2, interval: 60_000, devices: 6 }, 96);
    const long: Record<string, number[]> = { stuck: [], drift: [] };
    for (const deviceId of new Set(readings.map((r) => r.deviceId))) {
      for (const episode of episodes(readings, deviceId)) {
        assert.ok(['pm25', 'no2'].includes(episode.sensor), episode.sensor);
        if (episode.kind === 'stuck' || episode.kind === 'drift') {
          const last = episode.readings[episode.readings.length - 1];
          // Episodes still running at the end of the run are cut short.
          if (last.ts < START + 95 * HOUR) long[episode.kind].push((last.ts - episode.readings[0].ts) / MINUTE);
        }
      }
    }
    for (const kind of ['stuck', 'drift'] as const) {
      assert.ok(long[kind].length >= 3, `${kind}: ${long[kind].length} episodes`);
      const { min, max } = ANOMALY_DURATIONS[kind];
      for (const minutes of long[kind]) assert.ok(minutes >= min / MINUTE - 1.01 && minutes <= max / MINUTE, `${kind} of ${minutes} min`);
    }
  });

  it('health: injected tachycardia is abnormal heart rate at rest, and abnormal is always an anomaly', () => {
    const readings = run('health', { anomalies: 0.2, seed: 4, interval: 30_000, devices: 4, faults: false }, 72);
    const clean = run('health', { anomalies: 0, seed: 4, interval: 30_000, devices: 4, faults: false }, 72);
    const share = (rs: SimReading[]) => rs.filter((r) => r.truth.abnormal === true).length / rs.length;
    assert.ok(share(readings) > 1.3 * share(clean), `abnormal ${share(readings)} vs ${share(clean)} without anomalies`);
    for (const reading of readings) {
      if (reading.truth.abnormal === true) {
        assert.equal(reading.truth.activity, 'rest');
        assert.equal(reading.truth.anomaly, true);
        if (reading.truth.anomalyKind !== 'tachycardia') assert.ok(['spike', 'stuck', 'drift'].includes(String(reading.truth.anomalyKind)));
      }
      if (reading.truth.anomalyKind === 'tachycardia') assert.equal(reading.truth.abnormal, true);
    }
    const tachy = readings.filter((r) => r.truth.anomalyKind === 'tachycardia');
    const hr = tachy.map((r) => r.values.heartRate as number).sort((a, b) => a - b);
    assert.ok(hr[Math.floor(hr.length / 2)] >= 110, `median heart rate in tachycardia ${hr[Math.floor(hr.length / 2)]}`);
  });

  it('property: the share of affected readings tracks the configured share (the injector over months of readings)', () => {
    const sensors = createScenario('home', { startTime: START }).sensors;
    const device = { startEpisode: undefined } as unknown as SimDevice;
    fc.assert(
      fc.property(fc.double({ min: 0.005, max: 0.4, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(60_000, 300_000), (share, seed, interval) => {
        const injector = new AnomalyInjector(new Random(seed), { share, interval, sensors, mix: { spike: 3, stuck: 1, drift: 1 } });
        const n = Math.round((2000 * 24 * HOUR) / interval); // 2000 days of one device
        let affected = 0;
        for (let k = 0; k < n; k++) {
          const values: Record<string, number | boolean | null> = { temperature: 21, humidity: 45, light: 100, co2: 600, motion: false };
          if (injector.apply(START + k * interval, device, values, {}).anomaly === true) affected++;
        }
        const observed = affected / n;
        // Thousands of episodes: the observed share is within 15 % of the configured one (plus a little for tiny shares).
        assert.ok(Math.abs(observed - share) <= 0.15 * share + 0.002, `configured ${share}, observed ${observed}`);
      }),
      { numRuns: runs(12, 60), seed: 11 },
    );
  });

  it('through the simulator, the observed share tracks the configured one in every scenario', () => {
    for (const scenario of ['home', 'city'] as const) {
      for (const share of [0.02, 0.1]) {
        const readings = createScenario(scenario, { devices: 12, seed: 3, interval: 300_000, startTime: START, anomalies: share, faults: false }).advanceTo(START + 10 * 24 * HOUR - 1);
        const observed = readings.filter((r) => r.truth.anomaly === true).length / readings.length;
        assert.ok(Math.abs(observed - share) <= 0.45 * share, `${scenario} ${share}: observed ${observed}`);
      }
    }
  });

  it('config: anomalies is a share from 0 to 0.5, numeric text accepted, default 0', () => {
    const read = (anomalies: unknown) => parseSimConfig({ scenario: 'city', anomalies });
    for (const [raw, value] of [[undefined, 0], ['', 0], [0.02, 0.02], ['0.1', 0.1], [0.5, 0.5], [0, 0]] as const) {
      const parsed = read(raw);
      assert.ok(parsed.ok, JSON.stringify(raw));
      assert.equal(parsed.config.anomalies, value);
    }
    for (const raw of [-0.1, 0.6, 'lots', true]) {
      const parsed = read(raw);
      assert.ok(!parsed.ok, JSON.stringify(raw));
      assert.match(parsed.error, /anomalies must/);
    }
    assert.throws(() => createScenario('home', { startTime: START, anomalies: 0.9 }), /anomalies must be a share from 0 to 0.5/);
  });

  it('iot-ai simulate --anomalies: truth.anomaly, truth.anomalyKind and truth.anomalySensor columns; a bad share is exit 2', async () => {
    const out = await csv(['--scenario', 'city', '--csv', '-', '--devices', '2', '--duration', '86400', '--interval', '60000', '--anomalies', '0.1', '--seed', '2']);
    assert.equal(out.code, 0, out.stderr);
    const parsed = parseCsv(out.stdout);
    assert.ok(parsed.ok);
    const { header, rows } = parsed.table;
    assert.deepEqual(header, ['deviceId', 'ts', 'vehicles', 'speed', 'pm25', 'no2', 'truth.congestion', 'truth.airQuality', 'truth.anomaly', 'truth.anomalyKind', 'truth.anomalySensor']);
    const sim = createScenario('city', { devices: 2, seed: 2, interval: 60_000, startTime: START, anomalies: 0.1 });
    const readings = sim.advanceTo(START + 24 * HOUR - 1).filter((r) => r.malformed === undefined);
    assert.equal(rows.length, readings.length);
    rows.forEach((row, i) => {
      assert.equal(row[8], String(readings[i].truth.anomaly));
      assert.equal(row[9], readings[i].truth.anomalyKind);
      assert.equal(row[10], readings[i].truth.anomalySensor);
    });
    assert.ok(rows.some((row) => row[8] === 'true') && rows.some((row) => row[8] === 'false'));
    assert.match(out.stderr, /truth\.anomaly, truth\.anomalyKind, truth\.anomalySensor/);

    const bad = await csv(['--scenario', 'city', '--csv', '-', '--anomalies', '0.7']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--anomalies must be at most 0\.5/);
    const help = await csv(['--help']);
    assert.match(help.stdout, /--anomalies SHARE/);
  });
});
