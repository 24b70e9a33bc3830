/**
 * Learning from people (issue #29): 14 simulated days of homes whose occupants correct the automation, under three
 * policies run side by side on the same seeded households:
 *
 * - **fixed**: the smart-home sample flow's rules, never learning: occupied → light ON, setpoint 21; empty → OFF, 17.
 * - **schedule**: day 1 as fixed; then the best fixed schedule for day 1's data: per room and hour, heat (at the
 *   setpoint the room's people kept on day 1) and light where the room was occupied most of that hour on day 1.
 * - **learning**: day 1 as fixed; every night a forest is trained per household on the days so far (the last 7),
 *   labels being the state each device kept and, for the look-back before each correction, what the person chose
 *   (actuator-command's feedback events through model-train's FeedbackLabeller and weightedTrainingRows).
 *
 * Everything runs on the core code directly (no Node-RED runtime): the simulator with `people` on, one actuator
 * engine for lights and one for heating per policy (ack `state`, so the person's state reports become feedback
 * events), core trainModel and the compiled forest. All three policies know occupancy (an ideal occupancy sensor:
 * the simulator's truth), so the difference between them is only what they command.
 *
 *   npx tsx bench/learning-people.ts [--quick] [--write]      (npm run bench -- --only learning-people)
 *
 * Writes docs/learning-from-people.md's results and docs/images/learning-from-people.svg with --write (and in a full
 * run of bench/run.js).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActuatorEngine, parseActuatorConfig, type ActuatorEffect, type FeedbackEvent } from '../src/core/actuate';
import { examplesFromValues, loadModel, trainModel, type LoadedModel } from '../src/core/model';
import { FeedbackLabeller, weightedTrainingRows } from '../src/core/model/train/feedback';
import { createScenario, type Simulation } from '../src/core/sim';
import { progress, runSection, Section, textTable, type BenchOptions } from './lib/report';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Monday 8 January 2024, 00:00 UTC: a winter fortnight (heating), two weekends. */
const START = Date.UTC(2024, 0, 8);
const ROOMS = 5;
/** The households: seeds of the simulator (the same seed, the same people). */
const SEEDS = [11, 22, 33];
const FIELDS = ['light', 'setpoint'] as const;
type Field = (typeof FIELDS)[number];
const POLICIES = ['fixed', 'schedule', 'learning'] as const;
type PolicyName = (typeof POLICIES)[number];
/**
 * Feedback settings of the learning flow: look back 30 minutes before a correction, count it three times; a kept
 * agreement (a command nobody corrected, actuator-command `keptAfter`) counts half (model-train's keptWeight default).
 */
const FEEDBACK = { lookback: 30 * MINUTE, weight: 3, cap: 20, field: '', keptWeight: 0.5 };
/** actuator-command's keptAfter: about the 90th percentile of the people's delays (lamps 1 min, heating 5 min median). */
const KEPT_AFTER = { light: 10 * MINUTE, setpoint: 30 * MINUTE };
/** Kept agreements per device and day (their own cap): a command a room changes every few minutes is not 100 lessons. */
const KEPT_CAP = 48;
/** actuator-command's correction window: long enough for a correction of a command that stood all evening. */
const CORRECTION_WINDOW = 12 * HOUR;
/** Training rows: one per room every 5 minutes, of the last 7 days. */
const ROW_EVERY = 5 * MINUTE;
const TRAIN_DAYS = 7;

interface DayStats {
  commands: Record<Field, number>;
  overrides: Record<Field, number>;
  feedback: number;
  occupiedHours: number;
  comfortErrorHours: number;
  hvacEffort: number;
  lampEmptyHours: number;
}

interface Row {
  deviceId: string;
  ts: number;
  features: number[];
  light: string;
  setpoint: number;
  weight?: number;
}

/** What a policy commands for one room now. */
type Decide = (room: number, ts: number, occupied: boolean) => { light: 'ON' | 'OFF'; setpoint: number };

const fixedDecide: Decide = (_room, _ts, occupied) => (occupied ? { light: 'ON', setpoint: 21 } : { light: 'OFF', setpoint: 17 });

function featuresOf(room: number, ts: number, occupied: boolean): number[] {
  const day = new Date(ts).getUTCDay();
  return [room, ((ts % DAY) + DAY) % DAY / HOUR, day === 0 || day === 6 ? 1 : 0, occupied ? 1 : 0];
}
const FEATURE_NAMES = ['room', 'hour', 'weekend', 'occupied'];

function engine(rules: unknown[], keptAfter: number): ActuatorEngine {
  const parsed = parseActuatorConfig({
    topic: 'home/{deviceId}/set',
    rules,
    onChangeOnly: true,
    cooldown: 0,
    ack: 'state',
    ackTimeout: 60_000,
    retries: 0,
    limits: '{"setpoint":{"min":5,"max":35}}',
    correctionWindow: CORRECTION_WINDOW,
    keptAfter,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  let next = 0;
  return new ActuatorEngine(parsed.config, { newCorrelationId: () => `c${++next}` });
}

/** One household under one policy: the simulator, the two actuator engines, and what the policy learnt. */
class Home {
  readonly sim: Simulation;
  readonly lights: ActuatorEngine;
  readonly heating: ActuatorEngine;
  readonly days: DayStats[] = [];
  readonly rows: Row[] = [];
  readonly feedback: FeedbackEvent[] = [];
  /** Rows labelled at the last retrain, by field. */
  readonly labelled: Record<Field, number> = { light: 0, setpoint: 0 };
  /** The state each device is known to have (acks and state reports), as a flow would know it. */
  private readonly known = new Map<string, { light: string; setpoint: number }>();
  private decide: Decide = fixedDecide;
  /** Each room's occupancy at its latest reading (the ideal occupancy sensor all policies have). */
  private readonly occupied = new Map<string, boolean>();
  private day!: DayStats;
  private meters = new Map<string, Record<string, number | string | boolean>>();

  constructor(
    readonly seed: number,
    readonly policy: PolicyName,
  ) {
    this.sim = createScenario('home', { devices: ROOMS, seed, interval: MINUTE, startTime: START, faults: false, people: true });
    // Only the learning flow asks for agreements (keptAfter); the others never learn.
    const learning = policy === 'learning';
    this.lights = engine([
      { label: 'ON', command: { light: 'ON' } },
      { label: 'OFF', command: { light: 'OFF' } },
    ], learning ? KEPT_AFTER.light : 0);
    this.heating = engine([{ command: { setpoint: '{value}' } }], learning ? KEPT_AFTER.setpoint : 0);
    for (const id of this.sim.deviceIds) this.known.set(id, { light: 'OFF', setpoint: 21 });
  }

  async run(days: number): Promise<void> {
    for (let d = 0; d < days; d++) {
      this.startDay();
      const end = START + (d + 1) * DAY;
      for (let ts = START + d * DAY; ts < end; ts += MINUTE) this.minute(ts);
      this.endDay();
      if (this.policy === 'schedule' && d === 0) this.decide = tuneSchedule(this);
      if (this.policy === 'learning') this.decide = await learn(this, end);
    }
  }

  private startDay(): void {
    this.day = { commands: { light: 0, setpoint: 0 }, overrides: { light: 0, setpoint: 0 }, feedback: 0, occupiedHours: 0, comfortErrorHours: 0, hvacEffort: 0, lampEmptyHours: 0 };
    for (const id of this.sim.deviceIds) this.meters.set(id, this.sim.inspect(id) ?? {});
  }

  private endDay(): void {
    for (const id of this.sim.deviceIds) {
      const before = this.meters.get(id) ?? {};
      const after = this.sim.inspect(id) ?? {};
      const delta = (key: string) => Number(after[key]) - Number(before[key] ?? 0);
      this.day.occupiedHours += delta('occupiedHours');
      this.day.comfortErrorHours += delta('comfortErrorHours');
      this.day.hvacEffort += delta('hvacEffort');
      this.day.lampEmptyHours += delta('lampEmptyHours');
    }
    this.days.push(this.day);
  }

  private minute(ts: number): void {
    const readings = this.sim.advanceTo(ts);
    // Commands that stood keptAfter uncorrected: agreement events (the node's timer).
    this.send(this.lights.tick(ts), ts, 'light');
    this.send(this.heating.tick(ts), ts, 'setpoint');
    // People's acts since the last minute reach the engines as the devices' state reports.
    for (const report of this.sim.takeStateReports()) {
      const override = report.truth.override;
      if (override) this.day.overrides[override.field as Field]++;
      this.stateReport(report.topic, report.payload, report.ts);
    }
    for (const reading of readings) {
      const room = this.sim.deviceIds.indexOf(reading.deviceId);
      const occupied = reading.truth.occupancy === 'occupied';
      this.occupied.set(reading.deviceId, occupied);
      const want = this.decide(room, ts, occupied);
      this.send(this.lights.handle({ payload: { deviceId: reading.deviceId, prediction: { label: want.light } } }, ts), ts, 'light');
      this.send(this.heating.handle({ payload: { deviceId: reading.deviceId, prediction: { value: want.setpoint } } }, ts), ts, 'setpoint');
      if (ts % ROW_EVERY < MINUTE) {
        const state = this.known.get(reading.deviceId) as { light: string; setpoint: number };
        this.rows.push({ deviceId: reading.deviceId, ts, features: featuresOf(room, ts, occupied), light: state.light, setpoint: state.setpoint });
      }
    }
  }

  private send(effects: ActuatorEffect[], ts: number, field: Field): void {
    for (const effect of effects) {
      if (effect.kind === 'feedback') this.noteFeedback(effect.payload);
      if (effect.kind !== 'command') continue;
      this.day.commands[field]++;
      const result = this.sim.command(effect.topic, effect.payload);
      if (result.handled && result.state) this.stateReport(result.state.topic, result.state.payload, ts);
    }
  }

  private stateReport(topic: string, payload: { deviceId: string } & Record<string, unknown>, ts: number): void {
    this.known.set(payload.deviceId, { light: String(payload.light), setpoint: Number(payload.setpoint) });
    for (const eng of [this.lights, this.heating]) {
      for (const effect of eng.handle({ topic, payload }, ts)) if (effect.kind === 'feedback') this.noteFeedback(effect.payload);
    }
  }

  private noteFeedback(event: FeedbackEvent): void {
    // Silence is agreement only where somebody was there to disagree: the flow drops a lamp kept on in a room that
    // is empty by then (otherwise learnt as wanted, it lights more empty rooms each night); off in an empty room is kept.
    if (event.source === 'kept' && event.field === 'light' && event.chosen === 'ON' && !this.occupied.get(event.deviceId)) return;
    if (event.source !== 'kept') this.day.feedback++;
    this.feedback.push(event);
  }
}

/** The best fixed schedule for day 1's data: per room and hour, what the room's people kept while they were there. */
function tuneSchedule(home: Home): Decide {
  const plan: Array<Array<{ light: 'ON' | 'OFF'; setpoint: number }>> = [];
  for (let room = 0; room < ROOMS; room++) {
    const id = home.sim.deviceIds[room];
    const rows = home.rows.filter((row) => row.deviceId === id && row.ts < START + DAY);
    const occupiedSetpoints = rows.filter((row) => row.features[3] === 1).map((row) => row.setpoint);
    const roomSetpoint = occupiedSetpoints.length > 0 ? median(occupiedSetpoints) : 21;
    plan.push(
      Array.from({ length: 24 }, (_, hour) => {
        const inHour = rows.filter((row) => Math.floor(row.features[1]) === hour);
        const occupied = inHour.filter((row) => row.features[3] === 1);
        if (occupied.length * 2 < inHour.length || occupied.length === 0) return { light: 'OFF', setpoint: 17 };
        const lit = occupied.filter((row) => row.light === 'ON').length;
        return { light: lit * 2 >= occupied.length ? 'ON' : 'OFF', setpoint: occupied.length >= 3 ? median(occupied.map((row) => row.setpoint)) : roomSetpoint };
      }),
    );
  }
  return (room, ts) => plan[room][Math.floor((((ts % DAY) + DAY) % DAY) / HOUR)];
}

/**
 * The nightly retrain, as model-train does it: the rows (one per room every 5 minutes) are windows waiting for a
 * label; a correction labels those of its look-back with what the person chose (weight 3), a kept agreement those
 * since its command with the command's own value (weight 0.5, thinned by weightedTrainingRows); a correction wins
 * over an agreement. Rows nobody labelled are not learnt from.
 */
async function learn(home: Home, now: number): Promise<Decide> {
  const from = now - TRAIN_DAYS * DAY;
  const rows = home.rows.filter((row) => row.ts >= from);
  const byDevice = new Map<string, number[]>();
  rows.forEach((row, i) => byDevice.set(row.deviceId, [...(byDevice.get(row.deviceId) ?? []), i]));
  const models: Partial<Record<Field, LoadedModel>> = {};
  for (const field of FIELDS) {
    const labeller = new FeedbackLabeller(FEEDBACK, field === 'light' ? 'classification' : 'regression');
    const keptLabeller = new FeedbackLabeller({ ...FEEDBACK, cap: KEPT_CAP }, field === 'light' ? 'classification' : 'regression');
    const labels = new Map<number, { label: string | number; weight: number; weak: boolean }>();
    for (const event of home.feedback) {
      if (event.ts < from || event.field !== field) continue;
      const weak = event.source === 'kept';
      const read = (weak ? keptLabeller : labeller).accept(event as unknown as Record<string, unknown>);
      if (read.kind !== 'label') continue;
      const { span } = read;
      for (const i of byDevice.get(span.deviceId) ?? []) {
        const row = rows[i];
        if (row.ts < span.start || row.ts > span.end) continue;
        const known = labels.get(i);
        if (known && (weak || !known.weak)) continue;
        labels.set(i, { label: span.label as string | number, weight: span.byEnd?.weight ?? 1, weak });
      }
    }
    const labelled = [...labels.keys()].sort((a, b) => a - b).map((i) => {
      const { label, weight } = labels.get(i) as { label: string | number; weight: number };
      return field === 'light' ? { ...rows[i], light: String(label), weight } : { ...rows[i], setpoint: Number(label), weight };
    });
    const learnable = field === 'light' ? new Set(labelled.map((row) => row.light)).size >= 2 : labelled.length >= 10;
    if (learnable) models[field] = await fit(weightedTrainingRows(labelled, 0, 50_000), field === 'light' ? 'classification' : 'regression', (row) => (field === 'light' ? row.light : String(row.setpoint)));
    home.labelled[field] = labelled.length;
  }
  const { light, setpoint } = models;
  return (room, ts, occupied) => {
    const x = Float64Array.from(featuresOf(room, ts, occupied));
    const fallback = fixedDecide(room, ts, occupied);
    const lightLabel = light ? light.file.labels?.[(light.forest as NonNullable<LoadedModel['forest']>).predictClass(x)] : fallback.light;
    const value = setpoint ? (setpoint.forest as NonNullable<LoadedModel['forest']>).predictRow(x) : undefined;
    return {
      light: lightLabel === 'ON' ? 'ON' : 'OFF',
      setpoint: value && value.task === 'regression' ? Math.round(value.value * 2) / 2 : fallback.setpoint,
    };
  };
}

async function fit(rows: Row[], task: 'classification' | 'regression', label: (row: Row) => string): Promise<LoadedModel> {
  const examples = examplesFromValues(
    FEATURE_NAMES,
    rows.map((row) => Float64Array.from(row.features)),
    rows.map(label),
    task,
  );
  if (!examples.ok) throw new Error(examples.error.message);
  const trained = await trainModel(examples.examples, { name: `learning-${task}`, createdAt: new Date(START), testFraction: 0, forest: { nTrees: 20, maxDepth: 10, seed: 1 } });
  const loaded = loadModel(trained.model);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.model;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Daily {
  overrideShare: number;
  comfort: number;
  hvac: number;
  lampEmpty: number;
  overrides: number;
  commands: number;
  feedback: number;
}

/** Per day, over the households: overrides / automatic commands, comfort error per occupied hour, energy per household. */
function daily(homes: Home[], days: number): Daily[] {
  return Array.from({ length: days }, (_, d) => {
    const stats = homes.map((home) => home.days[d]);
    const sum = (f: (s: DayStats) => number) => stats.reduce((acc, s) => acc + f(s), 0);
    const overrides = sum((s) => s.overrides.light + s.overrides.setpoint);
    const commands = sum((s) => s.commands.light + s.commands.setpoint);
    return {
      overrideShare: commands > 0 ? overrides / commands : 0,
      comfort: sum((s) => s.comfortErrorHours) / Math.max(1e-9, sum((s) => s.occupiedHours)),
      hvac: sum((s) => s.hvacEffort) / homes.length,
      lampEmpty: sum((s) => s.lampEmptyHours) / homes.length,
      overrides,
      commands,
      feedback: sum((s) => s.feedback),
    };
  });
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function chart(results: Record<PolicyName, Daily[]>, days: number): string {
  const W = 360;
  const H = 220;
  const pad = { l: 44, r: 10, t: 28, b: 34 };
  const colours: Record<PolicyName, string> = { fixed: '#888888', schedule: '#1f77b4', learning: '#d62728' };
  const panel = (x0: number, title: string, value: (d: Daily) => number, unit: (v: number) => string) => {
    const all = POLICIES.flatMap((p) => results[p].map(value));
    const max = Math.max(...all) * 1.1 || 1;
    const x = (d: number) => x0 + pad.l + ((W - pad.l - pad.r) * d) / Math.max(1, days - 1);
    const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
    const parts = [`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`];
    parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(days - 1)}" y2="${y(0)}" stroke="#333"/><line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${pad.t}" stroke="#333"/>`);
    for (const tick of [0, 0.5, 1]) parts.push(`<text x="${x(0) - 4}" y="${y(tick * max) + 4}" text-anchor="end" font-size="10">${unit(tick * max)}</text>`);
    for (let d = 0; d < days; d += Math.max(1, Math.floor(days / 7))) parts.push(`<text x="${x(d)}" y="${H - pad.b + 14}" text-anchor="middle" font-size="10">${d + 1}</text>`);
    parts.push(`<text x="${x0 + W / 2}" y="${H - 4}" text-anchor="middle" font-size="10">day</text>`);
    for (const p of POLICIES) {
      const points = results[p].map((d, i) => `${x(i).toFixed(1)},${y(value(d)).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${colours[p]}" stroke-width="2" points="${points}"/>`);
    }
    return parts.join('\n');
  };
  const legend = POLICIES.map((p, i) => `<rect x="${20 + i * 110}" y="${H + 6}" width="12" height="4" fill="${colours[p]}"/><text x="${36 + i * 110}" y="${H + 12}" font-size="11">${p}</text>`).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    panel(0, 'automatic commands overridden', (d) => d.overrideShare, (v) => `${Math.round(100 * v)}%`),
    panel(W, 'comfort error while occupied (°C)', (d) => d.comfort, (v) => v.toFixed(1)),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

function tableRows(results: Record<PolicyName, Daily[]>, days: number): string[][] {
  const rows = [['day', ...POLICIES.map((p) => `${p}: overridden`), ...POLICIES.map((p) => `${p}: comfort °C`), ...POLICIES.map((p) => `${p}: HVAC`), ...POLICIES.map((p) => `${p}: lamp empty h`)]];
  for (let d = 0; d < days; d++) {
    rows.push([
      String(d + 1),
      ...POLICIES.map((p) => pct(results[p][d].overrideShare)),
      ...POLICIES.map((p) => results[p][d].comfort.toFixed(2)),
      ...POLICIES.map((p) => results[p][d].hvac.toFixed(1)),
      ...POLICIES.map((p) => results[p][d].lampEmpty.toFixed(2)),
    ]);
  }
  return rows;
}

function markdown(rows: string[][]): string {
  return [`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`, ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export async function measure(options: BenchOptions & { write?: boolean }): Promise<Section> {
  const days = options.quick ? 4 : 14;
  const seeds = options.quick ? SEEDS.slice(0, 1) : SEEDS;
  const section = new Section(
    'learning-people',
    `Learning from people (${seeds.length} households × ${days} days, three policies)`,
    'Simulated homes (sensor-sim `people` on) whose occupants correct automatic lights and setpoints they dislike; the fixed sample-flow rules, the best fixed schedule tuned on day 1, and nightly learning from corrections. Details: docs/learning-from-people.md.',
  );
  const homes: Record<PolicyName, Home[]> = { fixed: [], schedule: [], learning: [] };
  for (const seed of seeds) {
    for (const policy of POLICIES) {
      const home = new Home(seed, policy);
      await home.run(days);
      homes[policy].push(home);
      const kept = home.feedback.filter((e) => e.source === 'kept').length;
      progress(`household ${seed}, ${policy}: ${home.days.reduce((a, d) => a + d.overrides.light + d.overrides.setpoint, 0)} overrides, ${home.feedback.length - kept} corrections, ${kept} kept agreements${policy === 'learning' ? `; last retrain from ${home.labelled.light} lamp and ${home.labelled.setpoint} setpoint rows` : ''}`);
    }
  }
  const results = { fixed: daily(homes.fixed, days), schedule: daily(homes.schedule, days), learning: daily(homes.learning, days) };
  const rows = tableRows(results, days);
  console.log(`\n${textTable(rows)}\n`);

  const L = results.learning;
  const S = results.schedule;
  const weekDay = Math.min(7, days) - 1;
  const fall = L[0].overrideShare > 0 ? 1 - L[weekDay].overrideShare / L[0].overrideShare : 0;
  // The last three days, so one day's weather or a weekend does not decide.
  const tail = (series: Daily[], key: keyof Daily) => series.slice(-3).reduce((a, d) => a + d[key], 0) / Math.min(3, series.length);
  const comfortL = tail(L, 'comfort');
  const comfortS = tail(S, 'comfort');
  section.row('override share, day 1 → day 7 (learning)', `${pct(L[0].overrideShare)} → ${pct(L[weekDay].overrideShare)}`, `fixed ${pct(results.fixed[weekDay].overrideShare)} on day ${weekDay + 1}`, `${(100 * fall).toFixed(0)} % fewer`);
  section.row(`comfort error while occupied, last 3 days`, `${comfortL.toFixed(2)} °C`, `schedule ${comfortS.toFixed(2)} °C, fixed ${tail(results.fixed, 'comfort').toFixed(2)} °C`, `${(comfortL / comfortS).toFixed(2)}×`);
  section.row(`HVAC effort per household and day, last 3 days`, tail(L, 'hvac').toFixed(1), `schedule ${tail(S, 'hvac').toFixed(1)}, fixed ${tail(results.fixed, 'hvac').toFixed(1)}`, `${(tail(L, 'hvac') / tail(S, 'hvac')).toFixed(2)}×`);
  section.row(`lamp hours in empty rooms per household and day, last 3 days`, tail(L, 'lampEmpty').toFixed(2), `schedule ${tail(S, 'lampEmpty').toFixed(2)}, fixed ${tail(results.fixed, 'lampEmpty').toFixed(2)}`, '');
  section.goal('override share falls by day 7', '≥ 70 % below day 1', `${(100 * fall).toFixed(0)} %`, days >= 7 ? fall >= 0.7 : null);
  section.goal('comfort error by day 14 (last 3 days)', 'below the best fixed schedule', `${comfortL.toFixed(2)} vs ${comfortS.toFixed(2)} °C`, days >= 14 ? comfortL < comfortS : null);
  const hvacOk = tail(L, 'hvac') <= tail(S, 'hvac');
  const lampOk = tail(L, 'lampEmpty') <= tail(S, 'lampEmpty');
  section.goal(
    'without more energy (HVAC effort and lamp hours in empty rooms, last 3 days)',
    'each ≤ the schedule',
    `HVAC ${tail(L, 'hvac').toFixed(1)} vs ${tail(S, 'hvac').toFixed(1)}; lamps ${tail(L, 'lampEmpty').toFixed(2)} vs ${tail(S, 'lampEmpty').toFixed(2)} h`,
    days >= 14 ? hvacOk && lampOk : null,
  );

  if (options.write) writeDoc(rows, chart(results, days), section, seeds, days);
  return section;
}

const DOC = path.resolve(__dirname, '..', 'docs', 'learning-from-people.md');
const SVG = path.resolve(__dirname, '..', 'docs', 'images', 'learning-from-people.svg');
const BEGIN = '<!-- bench:learning-people:begin -->';
const END = '<!-- bench:learning-people:end -->';

function writeDoc(rows: string[][], svg: string, section: Section, seeds: number[], days: number): void {
  fs.mkdirSync(path.dirname(SVG), { recursive: true });
  fs.writeFileSync(SVG, svg);
  const goals = [['goal', 'target', 'measured', ''], ...section.goals.map((g) => [g.name, g.target, g.actual, g.met === null ? 'not measured' : g.met ? 'met' : 'NOT MET'])];
  const block = [
    BEGIN,
    `Measured by \`bench/learning-people.ts\` on ${new Date().toISOString().slice(0, 10)}: households (seeds) ${seeds.join(', ')}, ${days} days from Monday 8 January 2024 (UTC), rooms ${ROOMS}, a reading and a decision per room every minute. Per day, over the households: the share of automatic commands (lights and setpoints) that people overrode, the comfort error while occupied (°C, mean of |air − the person's preference| over occupied time), HVAC effort per household (∫ |setpoint − air| / τ dt, kelvin) and lamp hours in empty rooms per household.`,
    '',
    '![overrides and comfort per day](images/learning-from-people.svg)',
    '',
    markdown(goals),
    '',
    markdown(rows),
    END,
  ].join('\n');
  const text = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : `${BEGIN}\n${END}\n`;
  const at = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  fs.writeFileSync(DOC, at >= 0 && end > at ? text.slice(0, at) + block + text.slice(end + END.length) : `${text}\n${block}\n`);
  console.log(`  wrote ${path.relative(process.cwd(), DOC)} and ${path.relative(process.cwd(), SVG)}`);
}

if (require.main === module) runSection((options) => measure({ ...options, write: process.argv.includes('--write') || !options.quick }));
