import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseWindowConfig, WindowEngine, windowRows, windowStateFingerprint, type WindowConfig, type WindowPayload } from '../../src/core/window';
import { WindowSample } from '../../src/core/window/features';
import { fft, isPowerOfTwo } from '../../src/core/window/fft';
import { bandKey, resample, spectralFeatureOfKey, spectralOutputs, spectrumOf } from '../../src/core/window/spectral';
import { windowFromFeatureNames } from '../../src/core/model/file/training-window';
import { runs } from '../helpers/fuzz';

interface NumpyFixture {
  fft: Array<{ re: number[]; im: number[]; outRe: number[]; outIm: number[] }>;
  spectra: Array<{
    ts: number[];
    values: number[];
    points: number;
    bands: Array<[number, number]>;
    fftCoefficients: number;
    expected: { resampled: number[]; rate: number; power: number[]; domFreq: number; spectralEntropy: number; bandEnergy: number[]; fftMag: number[] } | null;
  }>;
}

/** numpy's FFT and the spectral features on random signals: test/fixtures/window/spectral-numpy.py wrote it. */
const NUMPY = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/window/spectral-numpy.json'), 'utf8')) as NumpyFixture;

const T0 = 1_700_000_000_000;

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

function config(props: Record<string, unknown>): WindowConfig {
  const parsed = parseWindowConfig(props);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
}

/** Every spectral output of a sample, by name. */
function spectralOf(values: readonly number[], ts: readonly number[], settings: Partial<Pick<WindowConfig, 'bands' | 'spectralPoints' | 'fftCoefficients'>> = {}): Record<string, number> {
  const cfg = config({ features: 'domFreq,spectralEntropy,bandEnergy,fftMag' });
  const outputs = spectralOutputs({ ...cfg, ...settings });
  const sample = WindowSample.of(values, ts);
  return Object.fromEntries(outputs.map((output) => [output.key, output.compute(sample)]));
}

/** The plain DFT, for the property test. */
function dft(re: readonly number[], im: readonly number[]): { re: number[]; im: number[] } {
  const n = re.length;
  const out = { re: new Array<number>(n).fill(0), im: new Array<number>(n).fill(0) };
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const angle = (-2 * Math.PI * j * k) / n;
      out.re[k] += re[j] * Math.cos(angle) - im[j] * Math.sin(angle);
      out.im[k] += re[j] * Math.sin(angle) + im[j] * Math.cos(angle);
    }
  }
  return out;
}

const powerOfTwoArb = fc.integer({ min: 0, max: 9 }).map((e) => 2 ** e);
const finiteArb = fc.double({ min: -1e3, max: 1e3, noNaN: true });

describe('spectral features: the FFT', () => {
  it('equals numpy.fft.fft on random vectors of length 1 to 512 (1e-9 of the largest coefficient)', () => {
    assert.ok(NUMPY.fft.length >= 8);
    for (const { re, im, outRe, outIm } of NUMPY.fft) {
      const r = Float64Array.from(re);
      const i = Float64Array.from(im);
      fft(r, i);
      const scale = Math.max(1, ...outRe.map(Math.abs), ...outIm.map(Math.abs));
      for (let k = 0; k < re.length; k++) {
        close(r[k], outRe[k], 1e-9 * scale, `n=${re.length} re[${k}]`);
        close(i[k], outIm[k], 1e-9 * scale, `n=${re.length} im[${k}]`);
      }
    }
  });

  it('equals the plain DFT on random input (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }).chain((e) => fc.tuple(fc.array(finiteArb, { minLength: 2 ** e, maxLength: 2 ** e }), fc.array(finiteArb, { minLength: 2 ** e, maxLength: 2 ** e }))), ([re, im]) => {
        const expected = dft(re, im);
        const r = Float64Array.from(re);
        const i = Float64Array.from(im);
        fft(r, i);
        const scale = Math.max(1, ...expected.re.map(Math.abs), ...expected.im.map(Math.abs));
        for (let k = 0; k < re.length; k++) {
          close(r[k], expected.re[k], 1e-9 * scale, `re[${k}]`);
          close(i[k], expected.im[k], 1e-9 * scale, `im[${k}]`);
        }
      }),
      { numRuns: runs(60, 600) },
    );
  });

  it('keeps Parseval: Σ|x|² = Σ|X|²/n (property)', () => {
    fc.assert(
      fc.property(powerOfTwoArb.chain((n) => fc.array(finiteArb, { minLength: n, maxLength: n })), (values) => {
        const r = Float64Array.from(values);
        const i = new Float64Array(values.length);
        fft(r, i);
        const time = values.reduce((s, x) => s + x * x, 0);
        let frequency = 0;
        for (let k = 0; k < r.length; k++) frequency += r[k] * r[k] + i[k] * i[k];
        close(frequency / values.length, time, 1e-9 * Math.max(1, time), 'energy');
      }),
      { numRuns: runs(100, 1000) },
    );
  });

  it('refuses a length that is not a power of two', () => {
    assert.throws(() => fft(new Float64Array(6), new Float64Array(6)), /not a power of two/);
    assert.equal(isPowerOfTwo(64), true);
    assert.equal(isPowerOfTwo(48), false);
  });
});

describe('spectral features: against numpy on random signals', () => {
  it('resample, power, domFreq, spectralEntropy, band energies and fftMag match (even, jittered, out of order, gappy readings)', () => {
    assert.ok(NUMPY.spectra.length >= 30);
    for (const [index, c] of NUMPY.spectra.entries()) {
      const what = `signal #${index} (${c.values.length} readings, N=${c.points})`;
      const spectrum = spectrumOf(c.ts, c.values, c.points);
      const e = c.expected;
      assert.ok(e !== null && spectrum !== undefined, what);
      const valueScale = Math.max(1, ...c.values.map(Math.abs));
      e.resampled.forEach((x, k) => close(spectrum.resampled[k], x, 1e-9 * valueScale, `${what} resampled[${k}]`));
      close(spectrum.rate, e.rate, 1e-9 * e.rate, `${what} rate`);
      const powerScale = Math.max(1e-12, ...e.power);
      e.power.forEach((p, k) => close(spectrum.power[k], p, 1e-9 * powerScale, `${what} power[${k}]`));

      const bands = c.bands.map(([low, high]) => ({ low, high }));
      const features = spectralOf(c.values, c.ts, { bands, spectralPoints: c.points, fftCoefficients: c.fftCoefficients });
      close(features.domFreq, e.domFreq, 1e-9 * Math.max(1, e.domFreq), `${what} domFreq`);
      close(features.spectralEntropy, e.spectralEntropy, 1e-9, `${what} spectralEntropy`);
      bands.forEach((band, b) => close(features[bandKey(band)], e.bandEnergy[b], 1e-9 * powerScale, `${what} ${bandKey(band)}`));
      e.fftMag.forEach((m, k) => close(features[`fftMag${k + 1}`], m, 1e-9 * Math.max(1, ...e.fftMag), `${what} fftMag${k + 1}`));
    }
  });
});

describe('spectral features: properties', () => {
  /** Evenly or unevenly spaced readings with random values. */
  const signalArb = fc
    .tuple(fc.integer({ min: 2, max: 200 }), fc.constantFrom(8, 16, 32, 64, 128))
    .chain(([n, points]) =>
      fc.record({
        points: fc.constant(points),
        values: fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: n, maxLength: n }),
        ts: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: n, maxLength: n }).map((steps) => {
          let t = T0;
          return steps.map((step) => (t += step));
        }),
      }),
    );

  it('Parseval: the power over all bins is the variance of the resampled values, and bands covering 0 Hz to above Nyquist add up to it', () => {
    fc.assert(
      fc.property(signalArb, ({ values, ts, points }) => {
        const spectrum = spectrumOf(ts, values, points)!;
        const x = spectrum.resampled;
        const mean = x.reduce((s, v) => s + v, 0) / x.length;
        const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
        const total = spectrum.power.reduce((s, p) => s + p, 0);
        close(total, variance, 1e-9 * Math.max(1, variance), 'Σ power');
        const nyquist = spectrum.rate / 2;
        const cut = Math.round(nyquist * 0.4 * 1000) / 1000;
        const bands = [
          { low: 0, high: cut },
          { low: cut, high: Math.ceil(nyquist) + 1 },
        ];
        const f = spectralOf(values, ts, { bands, spectralPoints: points });
        close(f[bandKey(bands[0])] + f[bandKey(bands[1])], variance, 1e-9 * Math.max(1, variance), 'bands');
      }),
      { numRuns: runs(150, 1500) },
    );
  });

  it('a pure sine is found within one bin of its frequency, whatever its amplitude, phase and offset', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 32, 64, 128, 256),
        fc.double({ min: 0.02, max: 0.45, noNaN: true }),
        fc.double({ min: 0.01, max: 1e3, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.constantFrom(10, 20, 50, 1000),
        (points, cyclesPerSample, amplitude, phase, offset, stepMs) => {
          // points readings, evenly spaced: the resampling keeps them as they are.
          const hz = (cyclesPerSample * 1000) / stepMs;
          const ts = Array.from({ length: points }, (_, i) => T0 + i * stepMs);
          const values = ts.map((_, i) => offset + amplitude * Math.sin(2 * Math.PI * hz * (i * stepMs) / 1000 + phase));
          const f = spectralOf(values, ts, { spectralPoints: points });
          const binWidth = 1000 / stepMs / points;
          assert.ok(Math.abs(f.domFreq - hz) <= binWidth * (1 + 1e-9), `${hz} Hz found at ${f.domFreq} (bin ${binWidth} Hz)`);
          assert.ok(f.spectralEntropy >= 0 && f.spectralEntropy <= 1);
        },
      ),
      { numRuns: runs(150, 1500) },
    );
  });

  it('a sine exactly on a bin: domFreq is that bin, fftMag reads its amplitude there, entropy is near 0', () => {
    const points = 64;
    const ts = Array.from({ length: points }, (_, i) => T0 + i * 20); // 50 Hz sampling, but N−1 steps span the window
    const rate = (1000 * (points - 1)) / (ts[points - 1] - ts[0]);
    const hz = (2 * rate) / points; // bin 2
    const values = ts.map((t) => 5 + 3 * Math.cos((2 * Math.PI * hz * (t - T0)) / 1000));
    const f = spectralOf(values, ts, { spectralPoints: points, fftCoefficients: 4 });
    close(f.domFreq, hz, 1e-9, 'domFreq');
    close(f.fftMag2, 3, 1e-9, 'fftMag2');
    close(f.fftMag1, 0, 1e-9, 'fftMag1');
    assert.ok(f.spectralEntropy < 1e-6, `entropy ${f.spectralEntropy}`);
  });

  it('spectral entropy stays within [0, 1]; white noise reads high', () => {
    fc.assert(
      fc.property(signalArb, ({ values, ts, points }) => {
        const f = spectralOf(values, ts, { spectralPoints: points });
        assert.ok(f.spectralEntropy >= 0 && f.spectralEntropy <= 1, String(f.spectralEntropy));
        assert.ok(f.domFreq >= 0);
      }),
      { numRuns: runs(150, 1500) },
    );
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
    const ts = Array.from({ length: 256 }, (_, i) => T0 + i * 10);
    assert.ok(spectralOf(ts.map(random), ts, { spectralPoints: 256 }).spectralEntropy > 0.8);
  });

  it('does not depend on the order readings came in: they are put in ts order first', () => {
    fc.assert(
      fc.property(signalArb, fc.array(fc.nat(), { minLength: 200, maxLength: 200 }), ({ values, ts, points }, keys) => {
        const order = values.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
        const shuffled = spectralOf(order.map((i) => values[i]), order.map((i) => ts[i]), { spectralPoints: points });
        const sorted = spectralOf(values, ts, { spectralPoints: points });
        for (const [key, value] of Object.entries(sorted)) close(shuffled[key], value, 1e-9 * Math.max(1, Math.abs(value)), key);
      }),
      { numRuns: runs(60, 600) },
    );
  });

  it('is 0 with too few readings (none, one, or all at one ts) and for a constant signal, like std and slope', () => {
    const cases: Array<[number[], number[]]> = [
      [[], []],
      [[3.5], [T0]],
      [[1, 2, 9], [T0, T0, T0]],
      [[4, 4, 4, 4, 4], [T0, T0 + 10, T0 + 25, T0 + 30, T0 + 90]],
    ];
    for (const [values, ts] of cases) {
      const f = spectralOf(values, ts);
      assert.ok(Object.keys(f).length > 6);
      for (const [key, value] of Object.entries(f)) assert.equal(value, 0, `${key} of ${JSON.stringify(values)}`);
    }
    assert.equal(resample([T0], [1], 8), undefined);
  });

  it('two readings are enough: a ramp, resampled onto the points between them', () => {
    const sampled = resample([T0, T0 + 700], [0, 7], 8)!;
    assert.deepEqual(Array.from(sampled.values), [0, 1, 2, 3, 4, 5, 6, 7]);
    close(sampled.rate, 10, 1e-12, 'rate');
  });
});

describe('spectral features: config and names', () => {
  it('defaults: 64 points, 4 coefficients, bands 0-0.5, 0.5-3, 3-8, 8-25 Hz', () => {
    const cfg = config({ features: 'mean,bandEnergy,fftMag,domFreq' });
    assert.deepEqual(cfg.features, ['mean']);
    assert.deepEqual(cfg.spectral, ['bandEnergy', 'fftMag', 'domFreq']);
    assert.equal(cfg.spectralPoints, 64);
    assert.equal(cfg.fftCoefficients, 4);
    assert.deepEqual(spectralOutputs(cfg).map((o) => o.key), ['band0to0p5Hz', 'band0p5to3Hz', 'band3to8Hz', 'band8to25Hz', 'fftMag1', 'fftMag2', 'fftMag3', 'fftMag4', 'domFreq']);
  });

  it('reads bands as text or arrays, and refuses bad ones, bad points and too many coefficients in one message', () => {
    assert.deepEqual(config({ features: 'bandEnergy', bands: '0-1, 1.5-3.25' }).bands, [{ low: 0, high: 1 }, { low: 1.5, high: 3.25 }]);
    assert.deepEqual(config({ features: 'bandEnergy', bands: [[0, 2], '2-4'] }).bands, [{ low: 0, high: 2 }, { low: 2, high: 4 }]);
    const bad = parseWindowConfig({ features: 'bandEnergy', bands: '3-1, x-2, 0.1234-1', spectralPoints: 48, fftCoefficients: 99 });
    assert.equal(bad.ok, false);
    const error = bad.ok ? '' : bad.error;
    assert.match(error, /band "3-1"/);
    assert.match(error, /band "x-2"/);
    assert.match(error, /band "0.1234-1"/);
    assert.match(error, /spectralPoints must be a power of two/);
    assert.match(error, /fftCoefficients must be at most/);
    const small = parseWindowConfig({ features: 'fftMag', spectralPoints: 8, fftCoefficients: 4 });
    assert.equal(small.ok, false, 'at most N/2 − 1 coefficients');
    assert.match(parseWindowConfig({ features: 'spectrum' }).ok ? '' : (parseWindowConfig({ features: 'spectrum' }) as { error: string }).error, /known: .*domFreq, spectralEntropy, bandEnergy, fftMag/);
  });

  it('output names map back to their feature (a model file without its window still configures feature-window)', () => {
    assert.equal(spectralFeatureOfKey('band0p5to3Hz'), 'bandEnergy');
    assert.equal(spectralFeatureOfKey('fftMag12'), 'fftMag');
    assert.equal(spectralFeatureOfKey('domFreq'), 'domFreq');
    assert.equal(spectralFeatureOfKey('fftMag'), undefined);
    assert.deepEqual(windowFromFeatureNames(['accel.mean', 'accel.band0to1Hz', 'accel.fftMag2', 'accel.spectralEntropy']), {
      sensors: ['accel'],
      features: ['mean', 'bandEnergy', 'fftMag', 'spectralEntropy'],
    });
  });

  it('settings that change the outputs change the state fingerprint only when a spectral feature is selected', () => {
    assert.equal(windowStateFingerprint(config({ features: 'mean' })), windowStateFingerprint(config({ features: 'mean', bands: '0-1' })));
    assert.notEqual(windowStateFingerprint(config({ features: 'mean,bandEnergy' })), windowStateFingerprint(config({ features: 'mean,bandEnergy', bands: '0-1' })));
  });
});

describe('spectral features: in the window engine', () => {
  /** A 2 Hz sine sampled at 50 Hz (plus a 0.3 offset per device), for 4 s. */
  function sineReadings(deviceId: string, hz: number, arrivalShuffle = false): Array<{ deviceId: string; sensor: string; value: number; ts: number }> {
    const out = Array.from({ length: 200 }, (_, i) => ({ deviceId, sensor: 'accel', value: 0.3 + Math.sin((2 * Math.PI * hz * i) / 50), ts: T0 + i * 20 }));
    if (arrivalShuffle) for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1], out[i]];
    return out;
  }

  function windowsOf(engine: WindowEngine, readings: ReturnType<typeof sineReadings>, arrival = (r: { ts: number }) => r.ts): WindowPayload[] {
    const events = [...readings.flatMap((r) => [...engine.add(r, arrival(r))]), ...engine.flush()];
    return events.flatMap((e) => (e.kind === 'window' ? [e.payload] : []));
  }

  const props = { window: 'tumbling', size: 2, unit: 's', features: 'mean,domFreq,spectralEntropy,bandEnergy,fftMag', bands: '0-1, 1-3, 3-25', spectralPoints: 128 };

  it('outputs <sensor>.<feature> after the moment features, finds a 2 Hz sine in 1-3 Hz; panes and readings agree', () => {
    const cfg = config(props);
    const panes = windowsOf(new WindowEngine(cfg), sineReadings('d1', 2));
    const readings = windowsOf(new WindowEngine(cfg, { keepReadings: true }), sineReadings('d1', 2));
    assert.equal(panes.length, 2);
    const keys = Object.keys(panes[0].features);
    assert.deepEqual(keys, ['accel.mean', 'accel.domFreq', 'accel.spectralEntropy', 'accel.band0to1Hz', 'accel.band1to3Hz', 'accel.band3to25Hz', 'accel.fftMag1', 'accel.fftMag2', 'accel.fftMag3', 'accel.fftMag4']);
    for (const w of panes) {
      // 100 readings over 1.98 s resampled to 128 points: bins 0.5 Hz wide.
      assert.ok(Math.abs(w.features['accel.domFreq'] - 2) <= 0.51, `domFreq ${w.features['accel.domFreq']}`);
      assert.ok(w.features['accel.band1to3Hz'] > 0.9 * (w.features['accel.band0to1Hz'] + w.features['accel.band1to3Hz'] + w.features['accel.band3to25Hz']));
    }
    panes.forEach((w, i) => {
      for (const key of keys) close(readings[i].features[key], w.features[key], 1e-9, key);
    });
  });

  it('arrival-time and count windows resample on the readings\' ts, not on arrival or reading numbers', () => {
    const even = windowsOf(new WindowEngine(config({ ...props, size: 100, unit: 'count' })), sineReadings('d1', 2));
    // All readings arrive in bursts at the same instant, two at a time swapped: the ts still give 2 Hz.
    const arrival = windowsOf(new WindowEngine(config({ ...props, time: 'arrival', size: 1, unit: 'min' })), sineReadings('d1', 2, true), () => T0);
    assert.equal(even.length, 2);
    assert.equal(arrival.length, 1);
    for (const w of [...even, ...arrival]) assert.ok(Math.abs(w.features['accel.domFreq'] - 2) <= 0.51, `domFreq ${w.features['accel.domFreq']}`);
  });

  it('spectral features alone keep readings only as the window needs them, and fill: previous repeats them', () => {
    const cfg = config({ ...props, features: 'domFreq', fill: 'previous', sensors: 'accel,temp' });
    const engine = new WindowEngine(cfg);
    const first = windowsOf(engine, sineReadings('d1', 2).slice(0, 100));
    assert.deepEqual(Object.keys(first[0].features), ['accel.domFreq']);
    const later = windowsOf(engine, [{ deviceId: 'd1', sensor: 'temp', value: 20, ts: T0 + 10_000 }]);
    assert.equal(later[0].features['accel.domFreq'], first[0].features['accel.domFreq']);
    assert.deepEqual(later[0].filled, ['accel.domFreq']);
  });

  it('is paid only when selected: no spectrum without a spectral feature, one per window and sensor with several', () => {
    const original = WindowSample.prototype.spectrum;
    let computed = 0;
    let asked = 0;
    WindowSample.prototype.spectrum = function (this: WindowSample, points: number) {
      asked++;
      if (!(this as unknown as { spectra?: Map<number, unknown> }).spectra?.has(points)) computed++;
      return original.call(this, points);
    };
    try {
      const moments = windowsOf(new WindowEngine(config({ ...props, features: 'mean,median,std' })), sineReadings('d1', 2));
      assert.equal(moments.length, 2);
      assert.equal(asked, 0, 'moment features never resample nor transform');
      const spectral = windowsOf(new WindowEngine(config(props)), sineReadings('d1', 2));
      assert.equal(spectral.length, 2);
      assert.equal(asked, 2 * 9, 'each of the 9 spectral outputs reads the spectrum');
      assert.equal(computed, 2, 'which is computed once per window');
    } finally {
      WindowSample.prototype.spectrum = original;
    }
  });

  it('a saved state restores and continues bit for bit (event-time panes, arrival-time and count windows), and is refused under other bands', () => {
    for (const extra of [{}, { time: 'arrival', size: 1, unit: 'min' }, { size: 100, unit: 'count' }]) {
      const cfg = config({ ...props, ...extra });
      const readings = sineReadings('d1', 2);
      const arrival = (r: { ts: number }) => r.ts;
      const original = new WindowEngine(cfg);
      const firstHalf = readings.slice(0, 130).flatMap((r) => [...original.add(r, arrival(r))]);
      const restored = WindowEngine.restore(cfg, JSON.parse(JSON.stringify(original.snapshot())));
      const rest = (engine: WindowEngine) => [...readings.slice(130).flatMap((r) => [...engine.add(r, arrival(r))]), ...engine.flush()];
      const expected = rest(original);
      assert.deepStrictEqual(rest(restored), expected, JSON.stringify(extra));
      assert.ok([...firstHalf, ...expected].some((e) => e.kind === 'window' && e.payload.features['accel.domFreq'] > 0));
      const other = config({ ...props, ...extra, bands: '0-2, 2-25' });
      assert.throws(() => WindowEngine.restore(other, JSON.parse(JSON.stringify(original.snapshot()))));
    }
  });

  it('windowRows (iot-ai train --window) names the spectral columns the same way', () => {
    const rows = sineReadings('d1', 2).map((r) => ({ deviceId: r.deviceId, ts: r.ts, accel: r.value }));
    const out = windowRows(rows, config(props));
    assert.deepEqual(out.featureNames, ['accel.mean', 'accel.domFreq', 'accel.spectralEntropy', 'accel.band0to1Hz', 'accel.band1to3Hz', 'accel.band3to25Hz', 'accel.fftMag1', 'accel.fftMag2', 'accel.fftMag3', 'accel.fftMag4']);
    assert.equal(out.rows.length, 2);
    assert.ok(Math.abs(out.rows[0].features['accel.domFreq'] - 2) <= 0.51);
  });
});
