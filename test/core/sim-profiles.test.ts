/**
 * Issue 15: sensor-sim publishes in a device ecosystem's shape (Tasmota, Zigbee2MQTT), and sensor-ingest with that
 * profile and nothing else reads back exactly what the simulated devices measured.
 */
import { strict as assert } from 'node:assert';
import { createScenario } from '../../src/core/sim';
import { Ingestor, parseIngestConfig } from '../../src/core/ingest';

const START = Date.UTC(2026, 5, 3, 8);

function ingestor(profile: string) {
  const parsed = parseIngestConfig({ profile });
  if ('error' in parsed) throw new Error(parsed.error);
  return new Ingestor(parsed.config);
}

describe('sensor-sim device formats read back by sensor-ingest profiles', () => {
  it('tasmota: tele/<id>/SENSOR with sensor blocks, Switch inputs as ON/OFF, Time without an offset', () => {
    const sim = createScenario('home', { devices: 2, seed: 3, format: 'tasmota', faults: false, startTime: START });
    const out = sim.advanceTo(START + 60_000).filter((r) => r.payload !== undefined);
    assert.ok(out.length > 4);
    const first = out[0];
    assert.equal(first.topic, `tele/${first.deviceId}/SENSOR`);
    const payload = first.payload as Record<string, any>;
    assert.match(payload.Time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.equal(payload.TempUnit, 'C');
    assert.equal(typeof payload.SI7021.Temperature, 'number');
    assert.ok(payload.Switch1 === 'ON' || payload.Switch1 === 'OFF');
    const ing = ingestor('tasmota');
    for (const reading of out) {
      const { readings, rejects } = ing.ingest(JSON.stringify(reading.payload), reading.topic, START + 120_000);
      assert.deepEqual(rejects, []);
      const byName = Object.fromEntries(readings.map((r) => [r.sensor, r]));
      assert.ok(readings.every((r) => r.deviceId === reading.deviceId && r.ts === Math.floor(reading.ts / 1000) * 1000));
      if (reading.values.temperature !== null) assert.deepEqual([byName['SI7021.Temperature'].value, byName['SI7021.Temperature'].unit], [reading.values.temperature, 'Cel']);
      if (reading.values.humidity !== null) assert.equal(byName['SI7021.Humidity'].unit, '%RH');
      if (reading.values.motion !== null) assert.equal(byName.Switch1.value, reading.values.motion);
      if (reading.values.co2 !== null) assert.equal(byName['SCD30.CarbonDioxide'].value, reading.values.co2);
    }
  });

  it('zigbee2mqtt: zigbee2mqtt/<id> with battery and linkquality, which the profile leaves out', () => {
    const sim = createScenario('home', { devices: 2, seed: 3, format: 'zigbee2mqtt', faults: false, startTime: START });
    const out = sim.advanceTo(START + 60_000).filter((r) => r.payload !== undefined);
    const first = out[0];
    assert.equal(first.topic, `zigbee2mqtt/${first.deviceId}`);
    assert.equal((first.payload as Record<string, unknown>).linkquality, 120);
    const ing = ingestor('zigbee2mqtt');
    for (const reading of out) {
      const { readings, rejects } = ing.ingest(JSON.stringify(reading.payload), reading.topic, START + 120_000);
      assert.deepEqual(rejects, []);
      const expected = Object.entries(reading.values).filter(([, v]) => v !== null);
      assert.deepEqual(readings.map((r) => [r.sensor, r.value]), expected);
      assert.ok(readings.every((r) => r.deviceId === reading.deviceId && r.ts === reading.ts));
      assert.equal(readings.find((r) => r.sensor === 'temperature')?.unit ?? 'Cel', 'Cel');
    }
  });
});
