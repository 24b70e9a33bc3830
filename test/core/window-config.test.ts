import assert from 'node:assert/strict';
import { parseWindowConfig, type WindowConfig } from '../../src/core/window';

function ok(raw: unknown): WindowConfig {
  const result = parseWindowConfig(raw);
  if (!result.ok) assert.fail(`expected a valid config, got: ${result.error}`);
  return result.config;
}

function error(raw: unknown): string {
  const result = parseWindowConfig(raw);
  if (result.ok) assert.fail(`expected an error for ${JSON.stringify(raw)}`);
  return result.error;
}

describe('parseWindowConfig', () => {
  it('fills defaults: tumbling 60 s event-time windows of a few features, no limits but the safety caps', () => {
    assert.deepStrictEqual(ok({}), {
      window: 'tumbling',
      unit: 's',
      size: 60_000,
      slide: 60_000,
      gap: 0,
      time: 'event',
      lateness: 0,
      maxJump: 10_000,
      idleTimeout: 0,
      sensors: [],
      features: ['mean', 'std', 'min', 'max', 'last', 'count'],
      spectral: [],
      bands: [
        { low: 0, high: 0.5 },
        { low: 0.5, high: 3 },
        { low: 3, high: 8 },
        { low: 8, high: 25 },
      ],
      spectralPoints: 64,
      fftCoefficients: 4,
      calendar: false,
      timeZone: 'UTC',
      minCount: { all: 0, bySensor: {} },
      fill: 'none',
      maxKeys: 10_000,
      maxReadings: 100_000,
      persist: '',
      output: 'each',
    });
  });

  it('normalises durations to ms by unit; count windows stay in readings', () => {
    assert.deepStrictEqual([ok({ size: 250, unit: 'ms' }).size, ok({ size: 2, unit: 's' }).size, ok({ size: 1.5, unit: 'min' }).size], [250, 2000, 90_000]);
    const sliding = ok({ window: 'sliding', size: 5, slide: 1, unit: 'min' });
    assert.deepStrictEqual([sliding.size, sliding.slide], [300_000, 60_000]);
    assert.deepStrictEqual(ok({ window: 'session', gap: 30, unit: 's' }).gap, 30_000);
    const counted = ok({ window: 'sliding', size: 10, slide: 5, unit: 'count' });
    assert.deepStrictEqual([counted.size, counted.slide], [10, 5]);
    assert.equal(ok({ window: 'tumbling', size: 10, slide: 3 }).slide, 10_000, 'tumbling ignores slide');
  });

  it('accepts numeric strings, comma-separated lists and Node-RED extras', () => {
    const config = ok({ id: 'n1', type: 'feature-window', size: ' 15 ', unit: 's', lateness: '500', maxKeys: '20', sensors: 'temp, hum ,temp', features: 'mean,p90 slope', minCount: '3', persist: ' file ' });
    assert.deepStrictEqual(
      [config.size, config.lateness, config.maxKeys, config.sensors, config.features, config.minCount, config.persist],
      [15_000, 500, 20, ['temp', 'hum'], ['mean', 'p90', 'slope'], { all: 3, bySensor: {} }, 'file'],
    );
    assert.deepStrictEqual(ok({ features: ['count'], sensors: [] }).features, ['count']);
    assert.deepStrictEqual(ok({ size: '' }).size, 60_000, 'blank means default');
  });

  it('minCount per sensor, as an object or JSON text', () => {
    assert.deepStrictEqual(ok({ minCount: { temp: 2, hum: '1' } }).minCount, { all: 0, bySensor: { temp: 2, hum: 1 } });
    assert.deepStrictEqual(ok({ minCount: '{"temp": 4}' }).minCount, { all: 0, bySensor: { temp: 4 } });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'tumbling', /must be an object/],
    ['unknown window', { window: 'hopping' }, /window must be one of tumbling, sliding, session \(got "hopping"\)/],
    ['unknown unit', { unit: 'h' }, /unit must be one of ms, s, min, count/],
    ['unknown time', { time: 'processing' }, /time must be one of event, arrival/],
    ['unknown fill', { fill: 'linear' }, /fill must be one of none, previous, zero/],
    ['unknown output', { output: 'bulk' }, /output must be one of each, batch \(got "bulk"\)/],
    ['size not a number', { size: 'ten' }, /size must be a number \(got "ten"\)/],
    ['size zero', { size: 0 }, /size must be greater than 0 \(got 0\)/],
    ['size negative text', { size: '-5' }, /size must be greater than 0/],
    ['count size fractional', { size: 2.5, unit: 'count' }, /size must be a whole number/],
    ['sliding without slide', { window: 'sliding', size: 10 }, /slide is required/],
    ['slide not positive', { window: 'sliding', size: 10, slide: -1 }, /slide must be greater than 0/],
    ['session without gap', { window: 'session' }, /gap is required/],
    ['session by count', { window: 'session', unit: 'count', gap: 3 }, /session windows need a time unit/],
    ['negative lateness', { lateness: -1 }, /lateness must be at least 0/],
    ['negative idleTimeout', { idleTimeout: '-10' }, /idleTimeout must be at least 0/],
    ['maxKeys fractional', { maxKeys: 1.5 }, /maxKeys must be a whole number/],
    ['count window beyond maxReadings', { size: 500, unit: 'count', maxReadings: 100 }, /size \(500 readings\) must not exceed maxReadings \(100\)/],
    ['unknown features', { features: 'mean,average,p95' }, /unknown features "average", "p95" \(known: mean, std/],
    ['sensors of the wrong type', { sensors: [1, 2] }, /sensors must be a list of names/],
    ['minCount negative', { minCount: -1 }, /minCount must be a whole number of at least 0/],
    ['minCount of one sensor bad', { minCount: { temp: 'x' } }, /minCount for "temp" must be a whole number/],
    ['minCount bad JSON', { minCount: '{temp: 1}' }, /minCount is not valid JSON/],
    ['NaN size', { size: Number.NaN }, /size must be a number/],
  ];
  for (const [name, raw, message] of cases) {
    it(`rejects ${name}`, () => assert.match(error(raw), message));
  }

  it('reports every problem at once', () => {
    const message = error({ window: 'sliding', size: 'x', lateness: -1 });
    assert.match(message, /size must be a number/);
    assert.match(message, /slide is required/);
    assert.match(message, /lateness must be at least 0/);
  });
});
