/**
 * 2. The window core: readings/s of src/core/window against a plain loop doing the same arithmetic inline (the
 * limit), and how the rate depends on the window size. One device, one sensor, one reading per ms, so a 60 ms
 * window holds 60 readings.
 */
import { FEATURE_NAMES, parseWindowConfig, WindowEngine, type CanonicalReading } from '../src/core/window';
import { seriesReadings } from './lib/data';
import { count, figure, progress, runSection, Section, type BenchOptions } from './lib/report';
import { alternate, ratios, spread, timeSync, type Spread } from './lib/timing';

const STREAMING = ['mean', 'std', 'min', 'max', 'sum', 'count', 'first', 'last', 'rms', 'slope', 'delta', 'range'];

type Run = (readings: CanonicalReading[]) => number;

function engine(raw: Record<string, unknown>): Run {
  const parsed = parseWindowConfig({ unit: 'ms', features: STREAMING, ...raw });
  if (!parsed.ok) throw new Error(parsed.error);
  const config = parsed.config;
  return (readings) => {
    const windows = new WindowEngine(config);
    let emitted = 0;
    for (let i = 0; i < readings.length; i++) emitted += windows.add(readings[i], i).length;
    return emitted + windows.flush().length;
  };
}

/** Tumbling windows with the streaming features' arithmetic inline: Welford, min/max, first/last, slope sums. */
function plainLoop(size: number): Run {
  return (readings) => {
    const out: Array<Record<string, number>> = [];
    let window = -Infinity;
    let n = 0, mean = 0, m2 = 0, min = Infinity, max = -Infinity, first = 0, last = 0;
    let tBase = 0, tMean = 0, tM2 = 0, co = 0;
    const emit = (): void => {
      if (n === 0) return;
      const std = n > 1 ? Math.sqrt(m2 / n) : 0;
      out.push({
        'temp.mean': mean, 'temp.std': std, 'temp.min': min, 'temp.max': max, 'temp.sum': mean * n, 'temp.count': n,
        'temp.first': first, 'temp.last': last, 'temp.rms': Math.sqrt(mean * mean + m2 / n),
        'temp.slope': tM2 > 0 ? (co / tM2) * 1000 : 0, 'temp.delta': last - first, 'temp.range': max - min,
      });
    };
    for (let i = 0; i < readings.length; i++) {
      const reading = readings[i];
      const value = reading.value as number;
      const ts = reading.ts;
      const k = Math.floor(ts / size);
      if (k !== window) {
        emit();
        window = k;
        n = 0; mean = 0; m2 = 0; min = Infinity; max = -Infinity; tMean = 0; tM2 = 0; co = 0;
        first = value;
        tBase = ts;
      }
      const next = n + 1;
      const dx = value - mean;
      mean += dx / next;
      m2 += dx * (value - mean);
      const t = ts - tBase;
      const dt = t - tMean;
      tMean += dt / next;
      tM2 += dt * (t - tMean);
      co += dt * (value - mean);
      n = next;
      if (value < min) min = value;
      if (value > max) max = value;
      last = value;
    }
    emit();
    return out.length;
  };
}

async function windowSection(options: BenchOptions): Promise<Section> {
  const n = options.quick ? 300_000 : 2_000_000;
  const rounds = options.quick ? 2 : 7;
  const section = new Section(
    'window',
    '2. Window core (src/core/window)',
    [
      `${count(n)} readings of one device and sensor, one per ms (a 60 ms window holds 60 readings), fed to a \`WindowEngine\`;`,
      'streaming features (mean std min max sum count first last rms slope delta range). Baseline: a plain loop doing the same',
      'tumbling-window arithmetic inline (Welford, min/max, first/last, slope sums), the limit for this work in JavaScript.',
      `Readings/s per run; all variants alternate over ${rounds} rounds. Order statistics (all ${FEATURE_NAMES.length} features, with`,
      'median, percentiles, skew, kurtosis) sort each window and are reported separately.',
    ].join('\n'),
  );
  const readings = seriesReadings(n);
  const variants: Record<string, Run> = {
    plain60: plainLoop(60),
    engine60: engine({ size: 60 }),
    plain6000: plainLoop(6000),
    engine6000: engine({ size: 6000 }),
    sliding60: engine({ window: 'sliding', size: 60, slide: 6 }),
    sliding6000: engine({ window: 'sliding', size: 6000, slide: 6 }),
    count60: engine({ size: 60, unit: 'count' }),
    count6000: engine({ size: 6000, unit: 'count' }),
    all60: engine({ size: 60, features: FEATURE_NAMES }),
    all6000: engine({ size: 6000, features: FEATURE_NAMES }),
  };
  progress(`${Object.keys(variants).length} variants, ${count(n)} readings each, ${rounds} rounds`);
  let checksum = 0;
  const rates = await alternate(
    Object.entries(variants).map(([name, run]) => ({
      name,
      measure: () => {
        const timed = timeSync(() => run(readings));
        checksum += timed.result;
        return n / timed.seconds;
      },
    })),
    { rounds },
  );
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');

  const perSecond = (name: string) => figure(spread(rates[name]), 'rate');
  /** Faster over slower of two sizes, round by round: 1 means the size costs nothing. */
  const sizeRatio = (a: string, b: string): Spread => spread(rates[a].map((value, i) => Math.max(value, rates[b][i]) / Math.min(value, rates[b][i])));

  for (const size of [60, 6000]) {
    const vsPlain = ratios(rates[`engine${size}`], rates[`plain${size}`]);
    section.row(`tumbling ${size}, streaming features vs plain loop`, perSecond(`engine${size}`), perSecond(`plain${size}`), figure(vsPlain, 'ratio'));
    section.goal(`window core vs plain loop, tumbling ${size}`, '≥ 0.5×', figure(vsPlain, 'ratio'), vsPlain.median >= 0.5);
  }
  const sizeRows: Array<[string, string, string, boolean]> = [
    ['tumbling', 'engine60', 'engine6000', true],
    ['sliding every 6 ms (a reading is in 10 vs 1,000 windows)', 'sliding60', 'sliding6000', true],
    ['count windows', 'count60', 'count6000', true],
    ['order statistics: all features, tumbling', 'all60', 'all6000', false],
  ];
  for (const [label, small, large, isGoal] of sizeRows) {
    const ratio = sizeRatio(small, large);
    section.row(`${label}, 60 vs 6,000 (ratio: faster ÷ slower)`, `${perSecond(small)} · ${perSecond(large)}`, '', figure(ratio, 'ratio'));
    if (isGoal) section.goal(`window size 60 vs 6,000, ${label}`, '< 2×', figure(ratio, 'ratio'), ratio.median < 2);
  }
  const orderCost = ratios(rates.engine60, rates.all60);
  section.row('cost of order statistics: streaming ÷ all features, tumbling 60', '', '', figure(orderCost, 'ratio'));
  return section;
}

if (require.main === module) runSection(windowSection);
