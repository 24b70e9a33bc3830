import { strict as assert } from 'node:assert';
import { Ingestor, parseIngestConfig } from '../../src/core/ingest';
import { ingestSensors } from '../../src/core/sim';
import { helper, harness, collect, getNode, lastStatus } from '../helpers/runtime';
import sensorSim = require('../../src/nodes/sensor-sim');

const START = '2024-06-03T06:00:00Z';

async function load(props: Record<string, unknown>) {
  await helper.load(sensorSim, harness('sensor-sim', { scenario: 'city', devices: 3, interval: 60000, speed: 10000, seed: 2, startTime: START, format: 'json', ...props }, 1));
  return { n1: getNode('n1'), out: collect('out1') };
}

describe('sensor-sim node: anomalies', function () {
  this.timeout(20_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('with anomalies (a number or numeric text) msg.truth says which readings carry an injected fault, and sensor-ingest still reads them', async () => {
    for (const anomalies of [0.2, '0.2']) {
      const { out } = await load({ anomalies });
      const messages = (await out.next(1500, 15_000)).filter((m) => !m.malformed);
      const parsed = parseIngestConfig({ sensors: ingestSensors('city') });
      assert.ok(!('error' in parsed));
      const ingestor = new Ingestor(parsed.config);
      const kinds = new Set<string>();
      for (const msg of messages) {
        assert.equal(typeof msg.truth.anomaly, 'boolean');
        assert.equal(msg.truth.anomaly, msg.truth.anomalyKind !== 'none');
        if (msg.truth.anomaly) {
          kinds.add(msg.truth.anomalyKind);
          assert.ok(['pm25', 'no2'].includes(msg.truth.anomalySensor), msg.truth.anomalySensor);
        }
        // Faults stay within the sensors' ranges: sensor-ingest rejects none of them.
        assert.deepEqual(ingestor.ingest(msg.payload, msg.topic, Date.now() + 1e12).rejects, []);
      }
      assert.ok(kinds.has('stuck') || kinds.has('drift'), [...kinds].join());
      const share = messages.filter((m) => m.truth.anomaly).length / messages.length;
      assert.ok(share > 0.05 && share < 0.5, `share ${share}`);
      await helper.unload();
    }
  });

  it('without the property (as in flows saved before it) or with 0, msg.truth is as it always was', async () => {
    for (const props of [{}, { anomalies: 0 }, { anomalies: '' }]) {
      const { out } = await load(props);
      for (const msg of await out.next(50)) assert.deepEqual(Object.keys(msg.truth), ['congestion', 'airQuality']);
      await helper.unload();
    }
  });

  it('a share outside 0–0.5 is a configuration fault', async () => {
    const { n1 } = await load({ anomalies: 0.9 });
    assert.equal(lastStatus(n1)?.fill, 'red');
    const logged = (n1.error as any).getCalls().map((c: any) => String(c.args[0]));
    assert.ok(logged.some((m: string) => /anomalies must be at most 0\.5, got 0\.9/.test(m)), logged.join('\n'));
  });
});
