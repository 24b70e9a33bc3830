/**
 * People who live with the simulated devices (the `people` option): hidden, seeded preferences, and the corrections
 * they make when an automatic command gives them something they dislike. A person notices, decides whether to act
 * (not every time), and acts after a realistic delay, unless the reason has gone by then (they left, the automation
 * changed its mind). What a person does is reported as a real device would report it (its new state), with the
 * cause in the truth, so a flow can learn from it and a benchmark can score it.
 *
 * Draws come from streams of their own (seed mixed with PEOPLE_KEY), so people never change the readings' draws.
 */
import { MINUTE, SECOND, Random, clamp, hash32, normal, uniform } from './signals';
import type { DeviceState, TruthValue } from './types';

/** Mixed into the world seed for every people stream (household and per-device reactions). */
export const PEOPLE_KEY = 0x70706c65;

/** Why someone corrected an automatic command. */
export const OVERRIDE_CAUSES = ['too-cold', 'too-warm', 'too-dark', 'light-unwanted', 'false-alarm', 'plan-unneeded'] as const;
export type OverrideCause = (typeof OVERRIDE_CAUSES)[number];

/**
 * How long a person takes from noticing to acting, by kind: a lognormal around `median` (spread `sigma` in log units),
 * kept within [min, max]. The act itself happens at the device's next step at or after that time (its reading
 * interval; at most 5 minutes for the home, 30 s for wearables, 1 minute for junctions).
 */
export const PEOPLE_DELAYS = {
  /** Walking to a switch or the app. */
  light: { median: 60 * SECOND, sigma: 0.6, min: 15 * SECOND, max: 10 * MINUTE },
  /** Feeling too warm or cold takes a while, then the dial. */
  temperature: { median: 5 * MINUTE, sigma: 0.6, min: 1 * MINUTE, max: 30 * MINUTE },
  /** A clinician looking at an alert, an operator at a plan. */
  alert: { median: 3 * MINUTE, sigma: 0.7, min: 30 * SECOND, max: 15 * MINUTE },
} as const;
export type DelayKind = keyof typeof PEOPLE_DELAYS;

/** Someone who let a disliked state be thinks again after this long, if it still bothers them. */
export const RETHINK_MS = 60 * MINUTE;

export function reactionDelay(rng: Random, kind: DelayKind): number {
  const { median, sigma, min, max } = PEOPLE_DELAYS[kind];
  return Math.round(clamp(median * Math.exp(sigma * normal(rng)), min, max));
}

/** What somebody does not like about a field's automatic value, and what they would set instead. */
export interface Dislike {
  person: string;
  cause: OverrideCause;
  chosen: TruthValue;
  /** Chance that they act on it (each time they notice). */
  chance: number;
  delay: DelayKind;
}

/** A person's act on a device: an override of an automatic value (with its cause), or an ordinary use of it. */
export interface PersonAct {
  ts: number;
  person: string;
  field: string;
  /** The automatic value the person changed (override), or the value before (manual). */
  automatic: TruthValue;
  chosen: TruthValue;
  /** Set for an override: why. */
  cause?: OverrideCause;
  /** Set for an ordinary act: what (e.g. `leaving`: switching off their own lamp on the way out). */
  action?: string;
  /** ms from noticing to acting (overrides). */
  delay?: number;
  /** The device's whole actuator state right after the act (set by the device). */
  state?: DeviceState;
}

interface Pending {
  person: string;
  cause: OverrideCause;
  act: boolean;
  noticedAt: number;
  due: number;
}

/**
 * Who set each actuator field last (`auto`: a command, `person`: somebody by hand) and the reactions under way. A
 * field a command never set is not under automation: people use it as they always did, and nobody reports it.
 */
export class Corrections {
  private readonly owner = new Map<string, 'auto' | 'person'>();
  private readonly pending = new Map<string, Pending>();
  private readonly acts: PersonAct[] = [];

  constructor(private readonly rng: Random) {}

  /**
   * A command set these fields (`changed`: to another value than they had): they are the automation's now, and a
   * reaction under way to a field it changed is void (the same value sent again leaves the person's mind as it was).
   */
  commanded(fields: Record<string, boolean>): void {
    for (const [field, changed] of Object.entries(fields)) {
      this.owner.set(field, 'auto');
      if (changed) this.pending.delete(field);
    }
  }

  automatic(field: string): boolean {
    return this.owner.get(field) === 'auto';
  }

  /** A field some command has set (people leave its ordinary use to the automation, unless they took it over). */
  automated(field: string): boolean {
    return this.owner.has(field);
  }

  /**
   * Called at every step for a field under automation: `dislike` is what bothers the person now (undefined: nothing).
   * Returns the override when it is due; the caller applies `chosen` to the device.
   */
  consider(field: string, current: TruthValue, dislike: Dislike | undefined, ts: number): PersonAct | undefined {
    if (this.owner.get(field) !== 'auto' || dislike === undefined) {
      this.pending.delete(field);
      return undefined;
    }
    let pending = this.pending.get(field);
    if (pending && (pending.cause !== dislike.cause || pending.person !== dislike.person || (!pending.act && ts - pending.noticedAt >= RETHINK_MS))) {
      pending = undefined;
    }
    if (!pending) {
      const act = this.rng.next() < dislike.chance;
      const delay = act ? reactionDelay(this.rng, dislike.delay) : 0;
      pending = { person: dislike.person, cause: dislike.cause, act, noticedAt: ts, due: ts + delay };
      this.pending.set(field, pending);
    }
    if (!pending.act || ts < pending.due) return undefined;
    this.pending.delete(field);
    this.owner.set(field, 'person');
    const act: PersonAct = { ts, person: dislike.person, field, automatic: current, chosen: dislike.chosen, cause: dislike.cause, delay: ts - pending.noticedAt };
    this.acts.push(act);
    return act;
  }

  /** An ordinary act on a field the person owns (reported, not an override). */
  manual(act: PersonAct): void {
    this.owner.set(act.field, 'person');
    this.acts.push(act);
  }

  /** The acts since the last call, oldest first. */
  take(): PersonAct[] {
    return this.acts.splice(0);
  }
}

/** The truth of a state report a person caused: `{ override: {...} }` or `{ manual: {...} }`. */
export function actTruth(act: PersonAct): Record<string, Record<string, TruthValue>> {
  const { person, field, automatic, chosen } = act;
  if (act.cause !== undefined) return { override: { person, cause: act.cause, field, automatic, chosen, delay: act.delay ?? 0 } };
  return { manual: { person, action: act.action ?? 'use', field, before: automatic, chosen } };
}

/** Room types whose comfort a person judges differently. */
export type ComfortRoom = 'living' | 'kitchen' | 'bedroom' | 'office' | 'bath';

/** One occupant's hidden preferences. */
export interface Person {
  name: string;
  /** Preferred air temperature awake in the living room, °C. */
  base: number;
  /** Added in each kind of room (the bath warmer, the kitchen cooler while cooking). */
  room: Record<ComfortRoom, number>;
  /** Added while asleep (negative: most sleep cooler). */
  sleep: number;
  /** Added in the morning (06–09) and evening (18–23), local hours. */
  morning: number;
  evening: number;
  /** How far off they let the room be before it bothers them, °C. */
  tolerance: number;
  /** Daylight in the room (lux) below which they want the lamp on; above `brightLux` a lamp on bothers them. */
  darkLux: number;
  brightLux: number;
  /** Chance that they act on something that bothers them (each time they notice). */
  chance: number;
}

/** The people of one household: 1 to 4, drawn from the world seed alone, so every room of a home has the same. */
export function household(worldSeed: number): Person[] {
  const rng = new Random(hash32(worldSeed, PEOPLE_KEY), 0);
  const count = 1 + Math.floor(rng.next() * 4);
  const people: Person[] = [];
  for (let i = 0; i < count; i++) {
    const darkLux = uniform(rng, 80, 200);
    people.push({
      name: `person-${i + 1}`,
      base: roundHalf(clamp(21 + 1.1 * normal(rng), 18.5, 24)),
      room: { living: 0, kitchen: -uniform(rng, 0, 1.2), bedroom: 0.5 * normal(rng), office: 0.5 * normal(rng), bath: uniform(rng, 0.5, 1.5) },
      sleep: -uniform(rng, 1, 3),
      morning: uniform(rng, -0.5, 1),
      evening: uniform(rng, 0, 1.2),
      tolerance: uniform(rng, 0.6, 1.2),
      darkLux,
      brightLux: darkLux * uniform(rng, 2.5, 5),
      chance: uniform(rng, 0.6, 0.9),
    });
  }
  return people;
}

/** What the person would like the air to be: by room, local hour of day and activity (asleep or awake), °C. */
export function preferredTemperature(person: Person, room: ComfortRoom, hour: number, asleep: boolean): number {
  let preferred = person.base + person.room[room];
  if (asleep) preferred += person.sleep;
  else if (hour >= 6 && hour < 9) preferred += person.morning;
  else if (hour >= 18 && hour < 23) preferred += person.evening;
  return preferred;
}

/** A thermostat dial's steps: half degrees. */
export function roundHalf(value: number): number {
  return Math.round(value * 2) / 2;
}
