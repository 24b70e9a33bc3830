import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ANOMALY_DEFAULTS,
  AnomalyLikelihood,
  AnomalySession,
  DETECTOR_METHODS,
  normalCdf,
  parseAnomalyConfig,
  type AnomalyConfig,
  type DetectorMethod,
} from '../../src/core/anomaly';
import { Random } from '../../src/core/util/rng';
import { runs } from '../helpers/fuzz';

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

function session(overrides: Partial<AnomalyConfig> = {}): AnomalySession {
  return new AnomalySession({ ...ANOMALY_DEFAULTS, ...overrides });
}

/** Feeds `values` to one stream; returns each window's prediction. */
function feed(s: AnomalySession, values: readonly number[], id = 'd', t0 = 0) {
  return values.map((v, i) => {
    const result = s.score(id, { x: v }, t0 + i * 60_000);
    assert.ok(result.ok, 'a finite feature is scored');
    return result.prediction;
  });
}

function noise(n: number, seed: number, scale = 1): number[] {
  const random = new Random(seed, 5);
  return Array.from({ length: n }, () => scale * gaussian(random));
}

describe('anomaly-detect core: streaming detectors', () => {
  for (const method of DETECTOR_METHODS) {
    describe(method, () => {
      it('adopts a lasting level shift within the configured memory', () => {
        const memory = 100;
        const values = noise(1500, 1).map((v, i) => (i >= 600 ? v + 20 : v));
        const out = feed(session({ method, memory }), values);
        // knn-cad's conformal p-value bottoms out at 1/(reference + 1): on white noise it misses a shift (docs/anomaly.md).
        if (method !== 'knn-cad') assert.ok(out.slice(600, 610).some((p) => p.label === 'anomaly'), 'the shift itself is an anomaly');
        const after = out.slice(600 + memory, 1500);
        const anomalies = after.filter((p) => p.label === 'anomaly').length;
        assert.ok(anomalies <= 2, `${anomalies} anomalies from ${memory} windows after the shift on: the new level is normal`);
      });

      it('flags a 5-window spike with one alarm (episodeStart) and marks every window of the episode', () => {
        const values = noise(800, 2).map((v, i) => (i >= 500 && i < 505 ? v + 12 : v));
        const out = feed(session({ method }), values);
        const spike = out.slice(500, 510);
        if (method === 'knn-cad') {
          // See above: knn-cad may miss a spike in white noise; it never raises more than one alarm for it.
          assert.ok(spike.filter((p) => p.episodeStart).length <= 1);
          return;
        }
        assert.equal(spike.filter((p) => p.episodeStart).length, 1, 'one alarm for the spike');
        assert.ok(spike.filter((p) => p.label === 'anomaly').length >= 1);
        assert.ok(spike.findIndex((p) => p.episodeStart) <= 1, 'the alarm comes with the spike');
        const noRefractory = feed(session({ method, refractory: 0 }), values).slice(500, 510);
        assert.equal(
          noRefractory.filter((p) => p.episodeStart).length,
          noRefractory.filter((p) => p.label === 'anomaly').length,
          'without a refractory period every anomaly is an alarm',
        );
      });

      it('keeps alarms rare on calm, bursty and heavy-tailed random streams (the likelihood calibrates per stream)', () => {
        const kinds: Record<string, (random: Random) => number> = {
          calm: (r) => 0.1 * gaussian(r),
          bursty: (() => {
            let burst = 0;
            return (r: Random) => {
              if (burst > 0) {
                burst--;
                return 600 * gaussian(r);
              }
              if (r.next() < 0.01) burst = 10;
              return 100 * gaussian(r);
            };
          })(),
          'heavy-tailed': (r) => gaussian(r) / Math.sqrt((gaussian(r) ** 2 + gaussian(r) ** 2) / 2),
        };
        for (const [kind, draw] of Object.entries(kinds)) {
          const random = new Random(3, 9);
          const out = feed(session({ method }), Array.from({ length: 20_000 }, () => draw(random)));
          const alarms = out.slice(1000).filter((p) => p.episodeStart).length;
          assert.ok(alarms <= 0.005 * 19_000, `${kind}: ${alarms} alarms in 19 000 windows`);
        }
      });

      it('snapshot → restore gives the same future outputs, bit for bit', () => {
        fc.assert(
          fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 120 }), fc.nat({ max: 119 }), (values, cut) => {
            const at = Math.min(cut, values.length - 1);
            const config = { ...ANOMALY_DEFAULTS, method, learn: 5, memory: 20, reference: 8, neighbours: 2, embed: 2 };
            const a = new AnomalySession(config);
            feed(a, values.slice(0, at));
            const b = AnomalySession.restore(config, JSON.parse(JSON.stringify(a.snapshot())));
            assert.deepEqual(feed(b, values.slice(at), 'd', at * 60_000), feed(a, values.slice(at), 'd', at * 60_000));
          }),
          { numRuns: runs(50, 500) },
        );
      });

      it('never returns a non-finite or out-of-range figure, whatever the values', () => {
        fc.assert(
          fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }), (values) => {
            for (const p of feed(session({ method, learn: 0 }), values)) {
              assert.ok(p.score >= 0 && p.score <= 1, `score ${p.score}`);
              assert.ok(p.likelihood >= 0 && p.likelihood <= 1, `likelihood ${p.likelihood}`);
              assert.ok(p.confidence >= 0.5 && p.confidence <= 1);
            }
          }),
          { numRuns: runs(50, 500) },
        );
      });
    });
  }

  it('a saved state is refused for other detector settings, and kept for other thresholds', () => {
    const a = session();
    feed(a, noise(50, 4));
    const saved = JSON.parse(JSON.stringify(a.snapshot()));
    assert.throws(() => AnomalySession.restore({ ...ANOMALY_DEFAULTS, memory: 10 }, saved), /other detector settings/);
    assert.throws(() => AnomalySession.restore(ANOMALY_DEFAULTS, { format: 'x' }), /not an anomaly-detect state/);
    assert.equal(AnomalySession.restore({ ...ANOMALY_DEFAULTS, threshold: 0.99 }, saved).stats.streams, 1);
  });

  it('learns for `learn` windows: normal, likelihood 0.5, no alarm', () => {
    const out = feed(session({ learn: 30 }), noise(30, 5).map((v, i) => (i === 25 ? 1e6 : v)));
    assert.ok(out.every((p) => p.label === 'normal' && p.likelihood === 0.5 && !p.episodeStart));
  });

  it('refractoryTime holds back a new alarm for that long in window time', () => {
    const values = noise(3000, 6).map((v, i) => (i % 400 === 399 ? v + 40 : v));
    const byWindows = feed(session({ refractory: 0, memory: 50 }), values).filter((p) => p.episodeStart).length;
    const byTime = feed(session({ refractory: 0, memory: 50, refractoryTime: 1000 * 60_000 }), values).filter((p) => p.episodeStart).length;
    assert.ok(byWindows >= 5, `${byWindows} alarms with no refractory period`);
    assert.ok(byTime <= Math.ceil(byWindows / 2), `${byTime} alarms 1000 minutes apart at least`);
  });

  it('refuses a window missing a scored feature or holding a non-number, and learns nothing from it', () => {
    const s = session();
    assert.ok(s.score('d', { 'a/b': 1, c: 2 }, 0).ok);
    const missing = s.score('d', { c: 2 }, 1);
    assert.deepEqual(missing, { ok: false, error: { code: 'features', message: 'feature "a/b" is missing', path: '/a~1b' } });
    const text = s.score('d', { 'a/b': 'x', c: 2 }, 2);
    assert.equal(!text.ok && text.error.code, 'features');
    assert.equal(s.score('e', { label: 'x' }, 0).ok, false, 'nothing numeric to score');
    assert.equal(s.stats.windows, 1);
    assert.equal(s.stats.rejected, 3);
  });

  it('keeps at most maxKeys streams, forgetting the least recently seen', () => {
    const s = session({ maxKeys: 3 });
    for (const id of ['a', 'b', 'c', 'a', 'd']) s.score(id, { x: 1 }, 0);
    assert.equal(s.stats.streams, 3);
    assert.equal(s.stats.evictions, 1);
    const ids = s.snapshot().streams.map((st) => st.id);
    assert.deepEqual(ids, ['c', 'a', 'd'], 'b, the least recently seen, went');
  });

  it('scores only the configured features, in their order', () => {
    const s = session({ features: ['b', 'a'] });
    assert.ok(s.score('d', { a: 1, b: 2, c: 'text' }, 0).ok);
    assert.deepEqual(s.snapshot().streams[0].names, ['b', 'a']);
  });
});

describe('anomaly-detect core: likelihood', () => {
  it('normalCdf matches known values in both tails', () => {
    assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
    assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-7);
    assert.ok(Math.abs(normalCdf(-3) - 0.0013498980316301) / 0.0013498980316301 < 1e-6);
    assert.ok(Math.abs(1 - normalCdf(5) - 2.866515718791939e-7) / 2.866515718791939e-7 < 1e-5);
  });

  it('AnomalyLikelihood turns any score stream into a likelihood, 0.5 while warming up, and restores', () => {
    const random = new Random(8, 1);
    const a = new AnomalyLikelihood();
    const first = Array.from({ length: 19 }, () => a.update(0.2 + 0.05 * random.next()));
    assert.ok(first.every((l) => l === 0.5));
    for (let i = 0; i < 500; i++) a.update(0.2 + 0.05 * random.next());
    const b = new AnomalyLikelihood(a.params, a.snapshot());
    const high = a.update(0.99);
    assert.ok(high > 0.999, `a jump from 0.2 to 0.99 is unlikely: ${high}`);
    assert.equal(b.update(0.99), high);
    assert.throws(() => new AnomalyLikelihood(a.params, [1, 2]), /numbers/);
  });
});

describe('anomaly-detect core: config', () => {
  it('takes numeric strings, blank for defaults, and lists every problem', () => {
    const ok = parseAnomalyConfig({ method: 'gaussian', memory: '200', threshold: '', features: 'a, b', maxKeys: 5 });
    assert.ok(ok.ok);
    assert.equal(ok.config.memory, 200);
    assert.equal(ok.config.threshold, ANOMALY_DEFAULTS.threshold);
    assert.deepEqual(ok.config.features, ['a', 'b']);
    const bad = parseAnomalyConfig({ method: 'magic', memory: 'x', threshold: 2, neighbours: 10, reference: 8 });
    assert.ok(!bad.ok);
    for (const word of ['method', 'memory', 'threshold', 'neighbours']) assert.match(bad.error, new RegExp(word));
  });

  it('an empty config gives the documented defaults', () => {
    const parsed = parseAnomalyConfig({});
    assert.ok(parsed.ok);
    const method: DetectorMethod = parsed.config.method;
    assert.equal(method, 'forecast');
    assert.equal(parsed.config.refractory, 100);
    assert.equal(parsed.config.learn, 100);
  });
});
