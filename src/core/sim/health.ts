/**
 * The health scenario: one wrist wearable per person. People sleep at night, rest and walk by day and go for a
 * run on some days; the heart rate follows the effort with a lag, the accelerometer shows the motion and the skin
 * cools with sweat. Rarely, a resting wearer has an episode of tachycardia (the `abnormal` truth). A caregiver
 * alert makes the wearer stop and, from level 2, gets help that ends an episode. With `people` on, the ward's
 * clinician dismisses a caregiver alert raised while the heart is fine (a correction: `false-alarm`).
 */

/** People on: how likely the clinician is to dismiss a false alarm each time they see one. */
export const CLINICIAN_DISMISS_CHANCE = 0.8;
import { readNumber, type CommandCheck, SteppedDevice, type DeviceContext, type ScenarioModel, type SimDevice } from './device';
import {
  HOUR,
  MINUTE,
  SECOND,
  bump,
  clamp,
  happens,
  shiftedHour,
  normal,
  ouStep,
  relax,
  roundTo,
  uniform,
  valueNoise,
  type Random,
} from './signals';
import { Corrections, type PersonAct } from './people';
import type { DeviceState, SensorDef, Truth } from './types';

export const HEALTH_SENSORS: readonly SensorDef[] = [
  { name: 'heartRate', kind: 'number', unit: 'beat/min', decimals: 0, min: 25, max: 240, glitch: 255, faults: { spike: [40, 80], drift: [30, 50] } },
  { name: 'accel', kind: 'number', unit: 'm/s2', decimals: 2, min: 0, max: 160, glitch: -1 },
  { name: 'skinTemp', kind: 'number', unit: 'Cel', decimals: 2, min: 20, max: 45, glitch: -127, faults: { spike: [3, 6], drift: [2, 4] } },
];

type Activity = 'rest' | 'walk' | 'run';
export const ALERT_LEVELS = { min: 0, max: 5 };
const GRAVITY = 9.81;

class Wearable extends SteppedDevice implements SimDevice {
  private readonly restHeartRate: number;
  private readonly walkDelta: number;
  private readonly runDelta: number;
  private readonly skinBase: number;
  private readonly scheduleShift: number;
  /** The hour this person likes to run, and how likely a run is on a given day. */
  private readonly runHour: number;
  private readonly runChance: number;

  private activity: Activity = 'rest';
  private asleep = false;
  private heartRate: number;
  private fitnessNoise = 0;
  private skin: number;
  private skinOffset: number;
  private readonly skinDriftPerHour: number;
  private abnormalUntil = -Infinity;
  private abnormalRate = 140;
  private runDay = -1;
  private runPlanned = false;
  private alert: 'caregiver' | 'none' = 'none';
  private alertLevel = 0;
  /** After a caregiver alert the wearer stays at rest until then. */
  private restUntil = -Infinity;
  /** A run lasts until then, and is followed by a walk to cool down. */
  private runUntil = -Infinity;
  /** People on: the clinician who looks after this wearer, and who set the alert last. */
  private readonly clinician?: { name: string; corrections: Corrections };

  constructor(context: DeviceContext) {
    super(context, 30 * SECOND);
    const rng = context.rng;
    this.restHeartRate = uniform(rng, 55, 75);
    this.walkDelta = uniform(rng, 22, 35);
    this.runDelta = uniform(rng, 65, 90);
    this.skinBase = uniform(rng, 32.5, 33.8);
    this.scheduleShift = 0.5 * normal(rng);
    this.runHour = rng.next() < 0.5 ? uniform(rng, 6.5, 8.5) : uniform(rng, 17, 20);
    this.runChance = uniform(rng, 0.5, 0.9);
    this.skinOffset = 0.1 * normal(rng);
    this.skinDriftPerHour = (0.1 * normal(rng)) / 24;
    this.asleep = this.sleepHour(this.localHour(context.startTime));
    this.heartRate = this.targetHeartRate();
    this.skin = this.skinBase;
    // Three clinicians on the ward, each with their own patients.
    if (context.people) this.clinician = { name: `clinician-${1 + (context.index % 3)}`, corrections: new Corrections(context.people) };
  }

  private localHour(ts: number): number {
    return shiftedHour(ts, this.scheduleShift);
  }

  private sleepHour(hour: number): boolean {
    return hour >= 23 || hour < 6.5;
  }

  private abnormal(): boolean {
    return this.time < this.abnormalUntil;
  }

  private targetHeartRate(): number {
    if (this.abnormal()) return this.abnormalRate;
    const rest = this.restHeartRate + this.fitnessNoise - (this.asleep ? 7 : 0);
    if (this.activity === 'walk') return rest + this.walkDelta;
    if (this.activity === 'run') return rest + this.runDelta;
    return rest;
  }

  protected step(dt: number, ts: number): void {
    const rng = this.rng;
    const hour = this.localHour(ts);
    const day = Math.floor((ts - this.scheduleShift * HOUR) / (24 * HOUR));
    if (day !== this.runDay) {
      this.runDay = day;
      this.runPlanned = rng.next() < this.runChance;
    }
    this.fitnessNoise = ouStep(rng, this.fitnessNoise, dt, 2 * HOUR, 3);
    const forcedRest = ts < this.restUntil;

    if (this.abnormal() || forcedRest) {
      this.activity = 'rest';
    } else if (this.sleepHour(hour)) {
      // Asleep, but up now and then (a glass of water).
      if (this.activity === 'rest') {
        this.asleep = true;
        if (happens(rng, 1 / (4 * HOUR), dt)) {
          this.activity = 'walk';
          this.asleep = false;
        }
      } else if (happens(rng, 1 / (3 * MINUTE), dt)) {
        this.activity = 'rest';
      }
    } else {
      this.asleep = false;
      const runTime = this.runPlanned && bump(hour, this.runHour, 0.4) > 0.5;
      if (this.activity === 'rest') {
        if (happens(rng, 1 / (runTime ? 5 * MINUTE : 35 * MINUTE), dt)) this.activity = 'walk';
      } else if (this.activity === 'walk') {
        if (runTime && happens(rng, 1 / (3 * MINUTE), dt)) {
          // The day's run.
          this.activity = 'run';
          this.runPlanned = false;
          this.runUntil = ts + uniform(rng, 20, 45) * MINUTE;
        } else if (happens(rng, 1 / (6 * HOUR), dt)) {
          // Hurrying for the bus.
          this.activity = 'run';
          this.runUntil = ts + uniform(rng, 1, 3) * MINUTE;
        } else if (happens(rng, 1 / (9 * MINUTE), dt)) {
          this.activity = 'rest';
        }
      } else if (ts >= this.runUntil) {
        this.activity = 'walk';
      }
    }

    // Tachycardia at rest: rare (about once a day of rest), minutes long.
    if (this.activity === 'rest' && !this.abnormal() && happens(rng, 1 / (22 * HOUR), dt)) {
      this.abnormalUntil = ts + uniform(rng, 3, 15) * MINUTE;
      this.abnormalRate = uniform(rng, 125, 165);
      this.asleep = false;
    }

    const target = this.targetHeartRate();
    this.heartRate = relax(this.heartRate, target, dt, target > this.heartRate ? 20 * SECOND : 45 * SECOND);

    const ambient = valueNoise(this.seed, 40, ts, 6 * HOUR) - 0.5;
    const skinTarget =
      this.skinBase + (this.asleep ? 0.8 : 0) + (this.activity === 'walk' ? -0.3 : this.activity === 'run' ? -1.2 : 0) + 0.6 * ambient;
    this.skin = relax(this.skin, skinTarget, dt, 6 * MINUTE);
    this.skinOffset = clamp(this.skinOffset + (this.skinDriftPerHour * dt) / HOUR, -0.6, 0.6);
    if (this.clinician?.corrections.automated('alert')) {
      const falseAlarm = this.alert === 'caregiver' && !this.abnormal();
      const dislike = falseAlarm ? { person: this.clinician.name, cause: 'false-alarm' as const, chosen: 'none', chance: CLINICIAN_DISMISS_CHANCE, delay: 'alert' as const } : undefined;
      const act = this.clinician.corrections.consider('alert', this.alert, dislike, ts);
      if (act) {
        this.alert = 'none';
        this.alertLevel = 0;
        act.state = this.state();
      }
    }
  }

  takeActs(): PersonAct[] {
    return this.clinician ? this.clinician.corrections.take() : [];
  }

  measure(): Record<string, number | boolean> {
    const rng = this.rng;
    let heartRate = this.heartRate + 1.5 * normal(rng);
    // Motion artefacts of the optical sensor while running.
    if (this.activity === 'run' && rng.next() < 0.02) heartRate += (rng.next() < 0.5 ? -1 : 1) * uniform(rng, 10, 25);
    let accel: number;
    const phase = Math.sin(2 * Math.PI * rng.next());
    if (this.activity === 'run') accel = Math.abs(GRAVITY + 9.5 * phase + 1.8 * normal(rng));
    else if (this.activity === 'walk') accel = Math.abs(GRAVITY + 3.2 * phase + 0.7 * normal(rng));
    else {
      accel = GRAVITY + 0.04 * normal(rng);
      const fidget = this.asleep ? 0.02 : 0.12;
      if (rng.next() < fidget) accel += 0.9 * normal(rng);
    }
    return {
      heartRate: roundTo(clamp(heartRate, 30, 230), 0),
      accel: roundTo(Math.max(0, accel), 2),
      skinTemp: roundTo(this.skin + this.skinOffset + 0.06 * normal(rng), 2),
    };
  }

  truth(): Truth {
    // heartRate: the true heart rate (no sensor noise, artefact or fault), what a heart-rate forecast is scored against.
    return { activity: this.activity, abnormal: this.abnormal(), heartRate: roundTo(this.heartRate, 1) };
  }

  /** An injected episode of tachycardia, as a natural one (125–165 beat/min, 3–15 minutes), only at rest. */
  startEpisode(rng: Random): number | undefined {
    if (this.activity !== 'rest' || this.abnormal()) return undefined;
    this.abnormalUntil = this.time + uniform(rng, 3, 15) * MINUTE;
    this.abnormalRate = uniform(rng, 125, 165);
    this.asleep = false;
    return this.abnormalUntil;
  }

  command(fields: Record<string, unknown>): CommandCheck {
    let level: number | undefined;
    let alert: 'caregiver' | 'none' | undefined;
    if ('alert' in fields) {
      if (fields.alert !== 'caregiver' && fields.alert !== 'none') {
        return { ok: false, detail: `alert must be "caregiver" or "none", got ${JSON.stringify(fields.alert)}` };
      }
      alert = fields.alert;
    }
    if ('level' in fields) {
      level = readNumber(fields.level);
      if (level === undefined || !Number.isInteger(level) || level < ALERT_LEVELS.min || level > ALERT_LEVELS.max) {
        return { ok: false, detail: `level must be a whole number from ${ALERT_LEVELS.min} to ${ALERT_LEVELS.max}, got ${JSON.stringify(fields.level)}` };
      }
    }
    const nextAlert = alert ?? (level === undefined ? this.alert : level > 0 ? 'caregiver' : 'none');
    const nextLevel = nextAlert === 'none' ? 0 : (level ?? Math.max(1, this.alertLevel));
    this.clinician?.corrections.commanded({ alert: nextAlert !== this.alert });
    this.alert = nextAlert;
    this.alertLevel = nextLevel;
    if (nextAlert === 'caregiver') {
      // The wearer stops to read the alert; from level 2 a caregiver comes and the episode ends soon after.
      this.restUntil = Math.max(this.restUntil, this.time + (nextLevel >= 2 ? 15 : 3) * MINUTE);
      if (nextLevel >= 2 && this.abnormal()) {
        this.abnormalUntil = Math.min(this.abnormalUntil, this.time + uniform(this.rng, 1, 3) * MINUTE);
      }
    }
    return { ok: true };
  }

  state(): DeviceState {
    return { alert: this.alert, level: this.alertLevel };
  }
}

export const HEALTH: ScenarioModel = {
  name: 'health',
  sensors: HEALTH_SENSORS,
  truthNames: ['activity', 'abnormal', 'heartRate'],
  commandFields: ['alert', 'level'],
  deviceId: (index) => `wearable-${index + 1}`,
  createDevice: (context) => new Wearable(context),
  anomalyMix: { spike: 3, stuck: 1, drift: 1, tachycardia: 1 },
  abnormalTruth: 'abnormal',
};
