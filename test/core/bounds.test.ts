/**
 * Regression tests for the bounds and robustness fixes of the reliability issue (docs/reliability.md): each
 * input a node walks or keeps is bounded, and odd values are data errors, never exceptions.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActuatorEngine, MAX_ITEMS_PER_MESSAGE } from '../../src/core/actuate/index';
import { compileUserSchema, INGEST_DEFAULTS, Ingestor, parseIngestConfig } from '../../src/core/ingest';
import { COLLECTOR_BOUNDS, TrainingCollector } from '../../src/core/model';
import { MAX_NAME_LENGTH, MAX_SENSORS_PER_DEVICE, WindowEngine } from '../../src/core/window';
import { confinedPath } from '../../src/nodes/shared/paths';
import { configOf, outcomesOf, sequentialIds } from './actuate-helpers';
import { config } from './window-naive';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function ingestor(raw: Record<string, unknown> = {}): Ingestor {
  const parsed = parseIngestConfig(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return new Ingestor(parsed.config);
}

describe('bounds: sensor-ingest', () => {
  it('compiles a schema with an $id again (a redeploy, a second node): each schema gets its own ajv', () => {
    const schema = '{"$id": "https://example.com/reading.json", "type": "object"}';
    const first = compileUserSchema(schema, 'schema');
    const second = compileUserSchema(schema, 'schema');
    assert.ok('validate' in first && first.validate, JSON.stringify(first));
    assert.ok('validate' in second && second.validate, `the second compile failed: ${JSON.stringify(second)}`);
  });

  it('holds a schema given as an object to the same size bound as schema text', () => {
    const big = { type: 'object', description: 'x'.repeat(INGEST_DEFAULTS.maxSchemaBytes) };
    assert.match(String((compileUserSchema(big, 'schema') as { error?: string }).error), /larger than/);
    assert.match(String((compileUserSchema(JSON.stringify(big), 'schema') as { error?: string }).error), /larger than/);
  });

  it('refuses an object payload with more fields than the bound as one too-large reject, before walking it', () => {
    const wide = Object.fromEntries(Array.from({ length: INGEST_DEFAULTS.maxFields + 1 }, (_, i) => [`s${i}`, i]));
    const { readings, rejects } = ingestor().ingest({ deviceId: 'd1', ...wide }, undefined, NOW);
    assert.equal(readings.length, 0);
    assert.deepEqual(rejects.map((r) => r.code), ['too-large']);
    const packed = Array.from({ length: 11 }, () => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`s${i}`, i])));
    assert.deepEqual(ingestor().ingest(packed, undefined, NOW).rejects.map((r) => r.code), ['too-large'], 'the fields of all records count together');
    const atBound = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`s${i}`, i]));
    assert.equal(ingestor().ingest({ deviceId: 'd1', ...atBound }, undefined, NOW).readings.length, 1000);
  });

  it('a field with an empty name is a missing-field reject, never a reading with an empty sensor', () => {
    const { readings, rejects } = ingestor().ingest(JSON.parse('{"deviceId": "d1", "": 5, "temp": 21}'), undefined, NOW);
    assert.deepEqual(readings.map((r) => r.sensor), ['temp']);
    assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['missing-field', '/']]);
  });

  it('a BigInt, Symbol or function where a value belongs is a type reject, not an exception', () => {
    for (const odd of [10n, Symbol('x'), () => 1]) {
      const { rejects } = ingestor().ingest({ deviceId: odd, temp: 1 }, undefined, NOW);
      assert.deepEqual(rejects.map((r) => r.code), ['type'], String(typeof odd));
    }
    assert.deepEqual(ingestor({ format: 'value', topicPattern: 's/{deviceId}/{sensor}' }).ingest(10n, 's/d/t', NOW).rejects.map((r) => r.code), ['type']);
  });
});

describe('bounds: feature-window engine', () => {
  const cfg = config({ window: 'tumbling', size: 10, unit: 's', features: 'count' });

  it('a deviceId or sensor name longer than the bound is a too-large reject and keeps no state', () => {
    const engine = new WindowEngine(cfg);
    const long = 'x'.repeat(MAX_NAME_LENGTH + 1);
    for (const reading of [{ deviceId: long, sensor: 't', value: 1, ts: NOW }, { deviceId: 'd1', sensor: long, value: 1, ts: NOW }]) {
      const events = engine.add(reading, NOW);
      assert.deepEqual(events.map((e) => e.kind === 'reject' && e.code), ['too-large']);
    }
    assert.equal(engine.stats.devices, 0);
  });

  it('a timestamp beyond a Date\'s range is a type reject: it used to send the window loop round forever', () => {
    const sliding = config({ window: 'sliding', size: 10, slide: 5, unit: 's', features: 'count' });
    for (const ts of [1e20, -1e20, 1e300, Number.MAX_VALUE]) {
      const engine = new WindowEngine(sliding);
      engine.add({ deviceId: 'd1', sensor: 't', value: 1, ts: NOW }, NOW);
      const events = engine.add({ deviceId: 'd1', sensor: 't', value: 1, ts }, NOW);
      assert.deepEqual(events.map((e) => e.kind === 'reject' && e.code), ['type'], String(ts));
    }
    // The extremes a Date can hold still work, and a jump between them emits only the windows with readings.
    const engine = new WindowEngine(sliding);
    const events = [-8.64e15, 0, 8.64e15].flatMap((ts) => [...engine.add({ deviceId: 'd1', sensor: 't', value: 1, ts }, ts)]);
    assert.equal(events.filter((e) => e.kind === 'window').length, 4);
  });

  it('a value beyond ±1e50 is a type reject: windows of such values had Infinity and NaN features', () => {
    const all = config({ window: 'tumbling', size: 10, unit: 's', features: 'mean,std,rms,skew,kurtosis,sum,slope' });
    const engine = new WindowEngine(all);
    const events = [1e51, -1e200, Number.MAX_VALUE].flatMap((value, i) => [...engine.add({ deviceId: 'd1', sensor: 't', value, ts: NOW + i }, NOW)]);
    assert.deepEqual(events.map((e) => e.kind === 'reject' && e.code), ['type', 'type', 'type']);
    for (const [i, value] of [1e50, -1e50, 3e49, 1, -1e50].entries()) engine.add({ deviceId: 'd1', sensor: 't', value, ts: NOW + i }, NOW);
    const [window] = engine.flush();
    assert.ok(window.kind === 'window');
    for (const [name, feature] of Object.entries(window.payload.features)) assert.ok(Number.isFinite(feature), `${name} = ${feature}`);
  });

  it('skew and kurtosis of a spread so small its powers underflow are 0, not NaN or Infinity', () => {
    const engine = new WindowEngine(config({ window: 'tumbling', size: 10, unit: 's', features: 'std,skew,kurtosis' }));
    for (const [i, value] of [1e-160, -1e-160, 1e-160, -1e-160, 3e-161].entries()) engine.add({ deviceId: 'd1', sensor: 't', value, ts: NOW + i }, NOW);
    const [window] = engine.flush();
    assert.ok(window.kind === 'window');
    assert.deepEqual(Object.values(window.payload.features).map(Number.isFinite), [true, true, true], JSON.stringify(window.payload.features));
  });

  it('keeps at most MAX_SENSORS_PER_DEVICE sensors per device: readings of further new sensors are overflow rejects', () => {
    const engine = new WindowEngine(cfg);
    let overflow = 0;
    for (let i = 0; i < MAX_SENSORS_PER_DEVICE + 50; i++) {
      for (const event of engine.add({ deviceId: 'd1', sensor: `s${i}`, value: i, ts: NOW }, NOW)) if (event.kind === 'reject' && event.code === 'overflow') overflow++;
    }
    assert.equal(overflow, 50);
    // A known sensor still gets in; the window holds exactly the kept sensors.
    assert.deepEqual(engine.add({ deviceId: 'd1', sensor: 's0', value: 1, ts: NOW + 1 }, NOW), []);
    const [window] = engine.flush();
    assert.ok(window.kind === 'window');
    assert.equal(Object.keys(window.payload.counts).length, MAX_SENSORS_PER_DEVICE);
  });
});

describe('bounds: actuator-command engine', () => {
  const engine = () => new ActuatorEngine(configOf({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', ackTimeout: 1000 }), sequentialIds());
  const predict = (deviceId: string) => ({ deviceId, prediction: { label: 'on', confidence: 1 } });

  it('an array of more predictions than the bound is one refused too-large outcome, not thousands of commands', () => {
    const effects = engine().handle({ payload: Array.from({ length: MAX_ITEMS_PER_MESSAGE + 1 }, (_, i) => predict(`d${i}`)) }, NOW);
    assert.deepEqual(outcomesOf(effects).map((o) => [o.status, o.detail]), [['refused', 'too-large']]);
    assert.equal(outcomesOf(engine().handle({ payload: [predict('a'), predict('b')] }, NOW)).length, 2);
  });

  it('a state report with more fields than the bound is refused too-large', () => {
    const e = new ActuatorEngine(configOf({ rules: [{ label: 'on', command: 'ON' }], ack: 'state' }), sequentialIds());
    e.handle({ payload: predict('lamp') }, NOW);
    const wide = Object.fromEntries(Array.from({ length: MAX_ITEMS_PER_MESSAGE + 1 }, (_, i) => [`f${i}`, 'ON']));
    assert.deepEqual(outcomesOf(e.handle({ topic: 'stat/lamp', payload: wide }, NOW)).map((o) => o.detail), ['too-large']);
  });

  it('a reply whose detail JSON cannot express (a BigInt, nesting deeper than the stack) still ends the command', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const detail of [10n, deep]) {
      const e = engine();
      const [command] = e.handle({ payload: predict('d1') }, NOW);
      assert.ok(command.kind === 'command');
      const { correlationId, replyTo } = command.payload as Record<string, unknown>;
      const effects = e.handle({ topic: replyTo, payload: { correlationId, ok: true, detail } }, NOW);
      assert.deepEqual(outcomesOf(effects).map((o) => o.status), ['acked']);
    }
  });
});

describe('bounds: model-train collector', () => {
  const collector = () => new TrainingCollector({ maxSamples: 100, maxWaiting: 100 });

  it('refuses features objects over the bound (too-large), and names it cannot keep (__proto__, too long)', () => {
    const wide = Object.fromEntries(Array.from({ length: COLLECTOR_BOUNDS.maxFeatures + 1 }, (_, i) => [`f${i}`, i]));
    assert.deepEqual(collector().addWindow({ features: wide }, 'a'), { ok: false, code: 'too-large', message: `payload.features has ${COLLECTOR_BOUNDS.maxFeatures + 1} features, over the ${COLLECTOR_BOUNDS.maxFeatures}-feature limit` });
    const proto = JSON.parse('{"features": {"__proto__": 1, "x": 2}}') as Record<string, unknown>;
    assert.equal((collector().addWindow(proto, 'a') as { code?: string }).code, 'features');
    assert.equal((collector().addWindow({ features: { ['y'.repeat(COLLECTOR_BOUNDS.maxNameLength + 1)]: 1 } }, 'a') as { code?: string }).code, 'features');
    assert.equal((collector().addWindow({ features: { x: 1 } }, 'z'.repeat(COLLECTOR_BOUNDS.maxNameLength + 1)) as { code?: string }).code, 'label');
    assert.equal((collector().addWindow({ features: { x: 1 } }, '__proto__') as { code?: string }).code, 'label');
    assert.equal((collector().addWindow({ features: { x: 10n } }, 'a') as { code?: string }).code, 'features', 'a BigInt value is a data error, not an exception');
  });

  it('remembers label events of at most maxLabelDevices devices, forgetting the quietest', () => {
    const c = collector();
    for (let d = 0; d <= COLLECTOR_BOUNDS.maxLabelDevices; d++) c.addLabelEvent({ deviceId: `d${d}`, label: 'busy', start: 0, end: 1000 });
    // d0 was forgotten: its window waits; d1 is still known: its window is labelled.
    assert.deepEqual(c.addWindow({ deviceId: 'd0', start: 0, end: 1000, features: { x: 1 } }, undefined), { ok: true, labelled: 0 });
    assert.deepEqual(c.addWindow({ deviceId: 'd1', start: 0, end: 1000, features: { x: 1 } }, undefined), { ok: true, labelled: 1 });
  });
});

describe('bounds: paths from messages stay in the user directory', () => {
  let userDir: string;
  let outside: string;
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-userdir-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-outside-'));
  });
  afterEach(() => {
    fs.rmSync(userDir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('accepts plain relative paths, new folders included', () => {
    assert.equal(confinedPath(userDir, 'export.csv'), path.join(fs.realpathSync(userDir), 'export.csv'));
    assert.equal(confinedPath(userDir, 'a/b/c.csv'), path.join(fs.realpathSync(userDir), 'a', 'b', 'c.csv'));
    fs.mkdirSync(path.join(userDir, 'inside'));
    fs.symlinkSync(path.join(userDir, 'inside'), path.join(userDir, 'alias'));
    assert.ok(confinedPath(userDir, 'alias/x.csv'), 'a link that stays inside is fine');
  });

  it('refuses traversal, absolute paths, NUL and the user directory itself', () => {
    for (const bad of ['../x.csv', 'a/../../x.csv', '/etc/passwd', path.join(outside, 'x.csv'), 'x\u0000.csv', '.', '']) {
      assert.equal(confinedPath(userDir, bad), undefined, JSON.stringify(bad));
    }
  });

  it('refuses symbolic links that lead out: a folder, a file, a dangling link, a link inside a link', () => {
    fs.symlinkSync(outside, path.join(userDir, 'out'));
    fs.writeFileSync(path.join(outside, 'target.csv'), 'keep');
    fs.symlinkSync(path.join(outside, 'target.csv'), path.join(userDir, 'file-link.csv'));
    fs.symlinkSync(path.join(outside, 'not-yet.csv'), path.join(userDir, 'dangling.csv'));
    fs.mkdirSync(path.join(userDir, 'inside'));
    fs.symlinkSync(path.join(userDir, 'out'), path.join(userDir, 'inside', 'chain'));
    for (const bad of ['out/x.csv', 'out/new/folder/x.csv', 'file-link.csv', 'dangling.csv', 'inside/chain/x.csv']) {
      assert.equal(confinedPath(userDir, bad), undefined, bad);
    }
  });
});
