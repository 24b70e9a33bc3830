/**
 * The city scenario: one traffic and air-quality station per intersection. Demand follows the working day
 * (morning and evening rush, quieter weekends) with city events and incidents; queues build and melt over
 * minutes, so speed falls as load rises. Traffic adds NO2 and PM2.5 on top of a regional background. The signal
 * timing plan and an air-quality alert obey commands.
 */
import { readBoolean, type CommandCheck, SteppedDevice, type DeviceContext, type ScenarioModel, type SimDevice } from './device';
import {
  DAY,
  HOUR,
  MINUTE,
  bump,
  clamp,
  happens,
  hourOfDay,
  shiftedHour,
  isWeekend,
  normal,
  ouStep,
  poisson,
  relax,
  roundTo,
  uniform,
  valueNoise,
} from './signals';
import { Corrections, type Dislike, type PersonAct } from './people';
import type { DeviceState, SensorDef, Truth } from './types';

export const CITY_SENSORS: readonly SensorDef[] = [
  { name: 'vehicles', kind: 'number', decimals: 0, min: 0, max: 1000, glitch: -1 },
  { name: 'speed', kind: 'number', unit: 'km/h', decimals: 1, min: 0, max: 200, glitch: 655.35 },
  { name: 'pm25', kind: 'number', unit: 'ug/m3', decimals: 1, min: 0, max: 1000, glitch: -999, faults: { spike: [60, 150], drift: [25, 50], upward: true } },
  { name: 'no2', kind: 'number', unit: 'ug/m3', decimals: 1, min: 0, max: 2000, glitch: -999, faults: { spike: [100, 200], drift: [40, 80], upward: true } },
];

export const PLANS = ['normal', 'rush', 'event'] as const;
type Plan = (typeof PLANS)[number];
/** Capacity of the junction under each signal plan, relative to normal. */
const PLAN_CAPACITY: Record<Plan, number> = { normal: 1, rush: 1.15, event: 1.1 };

/** Load (demand over capacity) at which traffic stops being free, and becomes heavy. */
export const CONGESTION_LOAD = { moderate: 0.55, heavy: 0.8 };
/** Air quality bands on PM2.5 and NO2 (ug/m3), roughly the WHO interim targets. */
export const AIR_QUALITY = { moderate: { pm25: 15, no2: 40 }, poor: { pm25: 30, no2: 75 } };

/** Demand as a share of the junction's capacity, by hour. */
function demandShare(hour: number, weekend: boolean): number {
  if (weekend) return 0.05 + 0.5 * bump(hour, 14, 3.5);
  return 0.05 + 0.45 * bump(hour, 13, 4) + 0.75 * bump(hour, 8, 0.9) + 0.8 * bump(hour, 17.5, 1.1);
}

/** People on: how likely the operator is to undo an automatic plan or alert they judge wrong, each time. */
export const OPERATOR_CHANCE = 0.7;

class Intersection extends SteppedDevice implements SimDevice {
  private readonly capacity: number;
  private readonly demandScale: number;
  private readonly freeSpeed: number;
  private readonly rushShift: number;
  private readonly siteFactor: number;

  private load: number;
  /** Traffic as the air sees it: veh/h, smoothed over a quarter of an hour. */
  private flowForAir: number;
  private demandNoise = 0;
  private eventUntil = -Infinity;
  private incidentUntil = -Infinity;
  private plan: Plan = 'normal';
  private alert = false;
  private pmOffset: number;
  private no2Offset: number;
  private readonly pmDriftPerHour: number;
  private readonly no2DriftPerHour: number;
  /** People on: the traffic operator's corrections of automatic plans and alerts. */
  private readonly operator?: Corrections;

  constructor(context: DeviceContext) {
    super(context, MINUTE);
    const rng = context.rng;
    this.capacity = uniform(rng, 2400, 3600);
    this.demandScale = uniform(rng, 0.85, 1.1);
    this.freeSpeed = uniform(rng, 49, 53);
    this.rushShift = 0.25 * normal(rng);
    this.siteFactor = uniform(rng, 0.85, 1.15);
    this.pmOffset = 0.5 * normal(rng);
    this.no2Offset = 2 * normal(rng);
    this.pmDriftPerHour = (0.4 * normal(rng)) / 24;
    this.no2DriftPerHour = (1.5 * normal(rng)) / 24;
    this.load = this.targetLoad(context.startTime);
    this.flowForAir = this.flow();
    if (context.people) this.operator = new Corrections(context.people);
  }

  private demand(ts: number): number {
    const hour = shiftedHour(ts, this.rushShift);
    const cityDay = 1 + 0.2 * (valueNoise(this.seed, 20, ts, DAY) - 0.5);
    let share = demandShare(hour, isWeekend(ts)) * this.demandScale * cityDay * (1 + this.demandNoise);
    if (ts < this.eventUntil) share *= 1.45;
    if (this.alert) share *= 0.85; // drivers told to avoid the area
    return Math.max(0, share);
  }

  private targetLoad(ts: number): number {
    const capacity = PLAN_CAPACITY[this.plan] * (ts < this.incidentUntil ? 0.55 : 1);
    return this.demand(ts) / capacity;
  }

  /** Vehicles through the junction per hour at the current load (throughput drops in a jam). */
  private flow(): number {
    const served = Math.min(this.load, 1) * this.capacity * PLAN_CAPACITY[this.plan];
    return this.load > 1 ? served * (1 - 0.25 * Math.min(this.load - 1, 1)) : served;
  }

  protected step(dt: number, ts: number): void {
    const rng = this.rng;
    this.demandNoise = ouStep(rng, this.demandNoise, dt, 20 * MINUTE, 0.06);
    const hour = hourOfDay(ts);
    // A concert or match about every four days, in the afternoon or evening; an incident about every five.
    if (ts >= this.eventUntil && hour > 14 && hour < 22 && happens(rng, 1 / (4 * 8 * HOUR), dt)) {
      this.eventUntil = ts + uniform(rng, 1.5, 3) * HOUR;
    }
    if (ts >= this.incidentUntil && happens(rng, 1 / (5 * DAY), dt)) {
      this.incidentUntil = ts + uniform(rng, 20, 60) * MINUTE;
    }
    this.load = relax(this.load, this.targetLoad(ts), dt, 6 * MINUTE);
    this.flowForAir = relax(this.flowForAir, this.flow(), dt, 15 * MINUTE);
    this.pmOffset = clamp(this.pmOffset + (this.pmDriftPerHour * dt) / HOUR, -4, 4);
    this.no2Offset = clamp(this.no2Offset + (this.no2DriftPerHour * dt) / HOUR, -10, 10);
    if (this.operator) this.review(ts);
  }

  /** People on: the operator ends an air alert while the air is good, and a rush or event plan on free roads. */
  private review(ts: number): void {
    const operator = this.operator as Corrections;
    const truth = this.truth();
    const person = 'operator';
    if (operator.automated('alert')) {
      const dislike: Dislike | undefined =
        this.alert && truth.airQuality === 'good' ? { person, cause: 'false-alarm', chosen: false, chance: OPERATOR_CHANCE, delay: 'alert' } : undefined;
      const act = operator.consider('alert', this.alert, dislike, ts);
      if (act) {
        this.alert = false;
        act.state = this.state();
      }
    }
    if (operator.automated('plan')) {
      const dislike: Dislike | undefined =
        this.plan !== 'normal' && truth.congestion === 'free' ? { person, cause: 'plan-unneeded', chosen: 'normal', chance: OPERATOR_CHANCE, delay: 'alert' } : undefined;
      const act = operator.consider('plan', this.plan, dislike, ts);
      if (act) {
        this.plan = 'normal';
        act.state = this.state();
      }
    }
  }

  takeActs(): PersonAct[] {
    return this.operator ? this.operator.take() : [];
  }

  /** Mean speed at this load, km/h (a BPR-style curve), and how the signal plan changes it. */
  private meanSpeed(): number {
    let factor = 1;
    if (this.plan === 'rush' && this.load < CONGESTION_LOAD.moderate) factor = 0.92; // long cycles, empty roads
    if (this.plan === 'event') factor = 0.96;
    return (this.freeSpeed * factor) / (1 + 1.5 * this.load ** 4);
  }

  private airTruth(): { pm25: number; no2: number } {
    const ts = this.time;
    const hour = hourOfDay(ts);
    const regional = valueNoise(this.seed, 30, ts, 18 * HOUR);
    const background = 3 + 30 * regional ** 2 + 4 * bump(hour, 7, 1.5);
    const idling = 1 + 0.6 * Math.max(0, this.load - 0.8);
    const pm25 = (background + (6 * this.flowForAir * idling) / 1000) * this.siteFactor;
    const no2Background = 6 + 14 * valueNoise(this.seed, 31, ts, DAY);
    const no2 = (no2Background + (18 * this.flowForAir * (1 + 0.8 * Math.max(0, this.load - 0.7))) / 1000) * this.siteFactor;
    return { pm25, no2 };
  }

  measure(): Record<string, number | boolean> {
    const rng = this.rng;
    const vehicles = poisson(rng, (this.flow() * this.interval) / HOUR);
    const air = this.airTruth();
    const values: Record<string, number | boolean> = {
      vehicles,
      pm25: roundTo(Math.max(0, air.pm25 + this.pmOffset + (1 + 0.1 * air.pm25) * normal(rng)), 1),
      no2: roundTo(Math.max(0, air.no2 + this.no2Offset + (2.5 + 0.08 * air.no2) * normal(rng)), 1),
    };
    // The mean speed of the vehicles seen in the interval: none seen, no speed.
    if (vehicles > 0) values.speed = roundTo(Math.max(3, this.meanSpeed() + (7 / Math.sqrt(vehicles)) * normal(rng)), 1);
    return values;
  }

  truth(): Truth {
    const congestion = this.load < CONGESTION_LOAD.moderate ? 'free' : this.load < CONGESTION_LOAD.heavy ? 'moderate' : 'heavy';
    const { pm25, no2 } = this.airTruth();
    const airQuality =
      pm25 >= AIR_QUALITY.poor.pm25 || no2 >= AIR_QUALITY.poor.no2
        ? 'poor'
        : pm25 >= AIR_QUALITY.moderate.pm25 || no2 >= AIR_QUALITY.moderate.no2
          ? 'moderate'
          : 'good';
    return { congestion, airQuality };
  }

  command(fields: Record<string, unknown>): CommandCheck {
    let plan: Plan | undefined;
    let alert: boolean | undefined;
    if ('plan' in fields) {
      if (!(PLANS as readonly unknown[]).includes(fields.plan)) return { ok: false, detail: `plan must be one of ${PLANS.join(', ')}, got ${JSON.stringify(fields.plan)}` };
      plan = fields.plan as Plan;
    }
    if ('alert' in fields) {
      alert = readBoolean(fields.alert);
      if (alert === undefined) return { ok: false, detail: `alert must be true or false, got ${JSON.stringify(fields.alert)}` };
    }
    this.operator?.commanded({
      ...(plan !== undefined ? { plan: plan !== this.plan } : {}),
      ...(alert !== undefined ? { alert: alert !== this.alert } : {}),
    });
    if (plan !== undefined) this.plan = plan;
    if (alert !== undefined) this.alert = alert;
    return { ok: true };
  }

  state(): DeviceState {
    return { plan: this.plan, alert: this.alert };
  }
}

export const CITY: ScenarioModel = {
  name: 'city',
  sensors: CITY_SENSORS,
  truthNames: ['congestion', 'airQuality'],
  commandFields: ['plan', 'alert'],
  deviceId: (index) => `junction-${index + 1}`,
  createDevice: (context) => new Intersection(context),
  // The air-quality sensors: stuck and drifting episodes of minutes to hours, and spikes.
  anomalyMix: { spike: 3, stuck: 1, drift: 1 },
};
