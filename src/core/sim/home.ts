/**
 * The home scenario: one multi-sensor per room. People come and go on a daily schedule with randomness; being
 * there raises CO2 (breathing), light (they switch lamps on when it is dark), motion and, slightly, temperature
 * and humidity. Lights and the HVAC setpoint obey commands, so an automation changes what the room measures.
 * With `people` on, each room's occupant has the household's hidden preferences (people.ts) and corrects automatic
 * lights and setpoints they dislike.
 */
import { readNumber, readOnOff, type CommandCheck, SteppedDevice, type DeviceContext, type ScenarioModel, type SimDevice } from './device';
import {
  HOUR,
  MINUTE,
  SECOND,
  bump,
  clamp,
  daylight,
  happens,
  hourOfDay,
  shiftedHour,
  isWeekend,
  normal,
  relax,
  roundTo,
  uniform,
  valueNoise,
  type Random,
} from './signals';
import { Corrections, household, preferredTemperature, roundHalf, type Dislike, type Person, type PersonAct } from './people';
import type { DeviceState, SensorDef, Truth } from './types';

const ROOM_TYPES = ['living', 'kitchen', 'bedroom', 'office', 'bath'] as const;
type RoomType = (typeof ROOM_TYPES)[number];

export const HOME_SENSORS: readonly SensorDef[] = [
  { name: 'temperature', kind: 'number', unit: 'Cel', decimals: 2, min: -20, max: 60, glitch: 85, faults: { spike: [4, 8], drift: [3, 6] } },
  { name: 'humidity', kind: 'number', unit: '%RH', decimals: 1, min: 0, max: 100, glitch: 127.5, faults: { spike: [15, 30], drift: [12, 25] } },
  { name: 'light', kind: 'number', unit: 'lx', decimals: 0, min: 0, max: 100000, glitch: -1 },
  { name: 'co2', kind: 'number', unit: 'ppm', decimals: 0, min: 250, max: 10000, glitch: 65535, faults: { spike: [400, 800], drift: [300, 600], upward: true } },
  { name: 'motion', kind: 'boolean' },
];

export const SETPOINT_RANGE = { min: 5, max: 35 };

/** Chance that somebody is in the room at this hour (before the room's own schedule shift). */
function presence(type: RoomType, hour: number, weekend: boolean): number {
  switch (type) {
    case 'living':
      return 0.03 + 0.8 * bump(hour, 20, 2) + (weekend ? 0.45 * bump(hour, 14, 3) : 0.12 * bump(hour, 7.5, 0.7));
    case 'kitchen':
      return 0.03 + 0.7 * bump(hour, 7.3, 0.6) + (weekend ? 0.5 : 0.25) * bump(hour, 12.5, 0.6) + 0.75 * bump(hour, 18.8, 0.8);
    case 'bedroom':
      return 0.05 + 0.92 * (hour >= 23 || hour < 6.5 ? 1 : bump(hour, hour < 12 ? 6.5 : 23, 0.6));
    case 'office':
      return weekend ? 0.03 + 0.1 * bump(hour, 11, 2) : 0.02 + 0.85 * (bump(hour, 10, 1.4) + bump(hour, 15, 1.4)) * 0.8;
    case 'bath':
      return 0.02 + 0.45 * bump(hour, 7, 0.5) + 0.3 * bump(hour, 22, 0.6);
  }
}

/** Hours at which someone in the room is asleep (the bedroom at night). */
function sleeping(type: RoomType, hour: number): boolean {
  return type === 'bedroom' && (hour >= 23.2 || hour < 6.3);
}

/** Room sizes, ventilation (air changes per hour), daylight and lamp brightness by room type. */
const ROOMS: Record<RoomType, { volume: [number, number]; ach: [number, number]; window: [number, number]; lamp: [number, number]; dwell: number }> = {
  living: { volume: [45, 70], ach: [1.5, 2.2], window: [500, 900], lamp: [250, 400], dwell: 25 * MINUTE },
  kitchen: { volume: [25, 40], ach: [2, 3], window: [300, 600], lamp: [300, 450], dwell: 15 * MINUTE },
  bedroom: { volume: [30, 45], ach: [1.0, 1.4], window: [200, 400], lamp: [150, 300], dwell: 30 * MINUTE },
  office: { volume: [20, 35], ach: [1.5, 2], window: [400, 800], lamp: [350, 500], dwell: 30 * MINUTE },
  bath: { volume: [8, 15], ach: [3, 4], window: [50, 150], lamp: [300, 500], dwell: 8 * MINUTE },
};

const OUTDOOR_CO2 = 420;
/** CO2 breathed out by a person at rest, m3 per hour (about 0.0052 L/s). */
const CO2_PER_PERSON = 0.0187;
const HVAC_TAU_H = 0.75;
const LOSS_TAU_H = 8;
/** Lights go on when daylight in the room is below this, lux. */
const DARK_LUX = 120;

class HomeRoom extends SteppedDevice implements SimDevice {
  private readonly type: RoomType;
  private readonly volume: number;
  private readonly ach: number;
  private readonly windowLux: number;
  private readonly lampLux: number;
  private readonly dwell: number;
  private readonly scheduleShift: number;
  private readonly tempDriftPerHour: number;
  private readonly co2DriftPerHour: number;

  private occupants = 0;
  private asleep = false;
  private light: 'ON' | 'OFF' = 'OFF';
  /** When a command last switched the light off: people put it back on only reluctantly for a while. */
  private lightOffCommandAt = -Infinity;
  private setpoint = 21;
  private temperature: number;
  private moisture: number;
  private co2: number;
  private tempOffset: number;
  private co2Offset: number;
  /** People on: the household, the room's own reaction stream, and who set each field last. */
  private readonly people?: { persons: Person[]; rng: Random; corrections: Corrections };
  /** The occupant whose wishes count (the one who would touch the switch or the dial). */
  private lead: Person | undefined;
  /** Running meters for a benchmark (never drawn from a stream, so they change nothing). */
  private readonly meters = { occupiedMs: 0, comfortErrorMs: 0, hvacEffort: 0, lampMs: 0, lampEmptyMs: 0 };

  constructor(context: DeviceContext) {
    super(context, 5 * MINUTE);
    const rng = context.rng;
    this.type = ROOM_TYPES[context.index % ROOM_TYPES.length];
    const room = ROOMS[this.type];
    this.volume = uniform(rng, ...room.volume);
    this.ach = uniform(rng, ...room.ach);
    this.windowLux = uniform(rng, ...room.window);
    this.lampLux = uniform(rng, ...room.lamp);
    this.dwell = room.dwell;
    if (context.people) this.people = { persons: household(context.seed), rng: context.people, corrections: new Corrections(context.people) };
    this.scheduleShift = 0.5 * normal(rng);
    this.tempDriftPerHour = (0.06 * normal(rng)) / 24;
    this.co2DriftPerHour = (8 * normal(rng)) / 24;
    this.tempOffset = 0.15 * normal(rng);
    this.co2Offset = 15 * normal(rng);
    this.temperature = this.setpoint + 0.5 * normal(rng);
    this.moisture = 45 + 3 * normal(rng);
    this.co2 = OUTDOOR_CO2 + 30 * rng.next();
    // Start in the state the schedule suggests for that hour.
    const hour = this.localHour(context.startTime);
    if (rng.next() < presence(this.type, hour, isWeekend(context.startTime))) this.arrive(context.startTime);
  }

  private localHour(ts: number): number {
    return shiftedHour(ts, this.scheduleShift);
  }

  private indoorDaylight(ts: number): number {
    const clearness = valueNoise(this.seed, 13, ts, 3 * HOUR);
    return this.windowLux * daylight(ts) * (0.3 + 0.7 * clearness);
  }

  private arrive(ts: number): void {
    const rng = this.rng;
    this.occupants = 1 + (rng.next() < 0.3 ? 1 : 0) + (this.type === 'living' && rng.next() < 0.2 ? 1 : 0);
    this.asleep = sleeping(this.type, this.localHour(ts));
    if (this.people) this.lead = this.people.persons[this.people.rng.int(this.people.persons.length)];
  }

  /** The preferred temperature of the room's lead occupant now (undefined: nobody there, or people off). */
  private preferred(hour: number): number | undefined {
    if (this.occupants === 0 || this.lead === undefined) return undefined;
    return preferredTemperature(this.lead, this.type, hour, this.asleep);
  }

  /** People on: the lead occupant's corrections of the automatic light and setpoint they dislike. */
  private react(ts: number, hour: number): void {
    const corrections = (this.people as { corrections: Corrections }).corrections;
    const person = this.occupants > 0 ? this.lead : undefined;
    let light: Dislike | undefined;
    let setpoint: Dislike | undefined;
    if (person) {
      const lux = this.indoorDaylight(ts);
      const who = person.name;
      if (this.light === 'ON' && (this.asleep || lux > person.brightLux)) {
        // Asleep, a lamp is switched off by almost anyone who cares at all; in daylight many let it be.
        light = { person: who, cause: 'light-unwanted', chosen: 'OFF', chance: this.asleep ? person.chance : 0.6 * person.chance, delay: 'light' };
      } else if (this.light === 'OFF' && !this.asleep && lux < person.darkLux) {
        light = { person: who, cause: 'too-dark', chosen: 'ON', chance: person.chance, delay: 'light' };
      }
      // They feel the air, then look at the dial: a setpoint already at their wish is left to do its work.
      const preferred = preferredTemperature(person, this.type, hour, this.asleep);
      const chosen = roundHalf(preferred);
      if (this.temperature < preferred - person.tolerance && this.setpoint < preferred - 0.25) {
        setpoint = { person: who, cause: 'too-cold', chosen, chance: person.chance, delay: 'temperature' };
      } else if (this.temperature > preferred + person.tolerance && this.setpoint > preferred + 0.25) {
        setpoint = { person: who, cause: 'too-warm', chosen, chance: person.chance, delay: 'temperature' };
      }
    }
    if (corrections.automated('light')) {
      const act = corrections.consider('light', this.light, light, ts);
      if (act) {
        this.light = act.chosen as 'ON' | 'OFF';
        act.state = this.state();
      }
    }
    if (corrections.automated('setpoint')) {
      const act = corrections.consider('setpoint', this.setpoint, setpoint, ts);
      if (act) {
        this.setpoint = act.chosen as number;
        act.state = this.state();
      }
    }
  }

  /** Somebody leaving switches the lamp off; a lamp the automation switched on is left to the automation. */
  private leaveLight(ts: number, person: Person | undefined): void {
    const corrections = this.people?.corrections;
    if (!corrections?.automated('light')) {
      this.light = 'OFF';
    } else if (!corrections.automatic('light')) {
      this.light = 'OFF';
      corrections.manual({ ts, person: person?.name ?? 'someone', field: 'light', automatic: 'ON', chosen: 'OFF', action: 'leaving', state: this.state() });
    }
  }

  protected step(dt: number, ts: number): void {
    const rng = this.rng;
    const hour = this.localHour(ts);
    const p = clamp(presence(this.type, hour, isWeekend(ts)), 0.005, 0.995);
    const wasOccupied = this.occupants > 0;
    if (wasOccupied) {
      if (happens(rng, (1 - p) / this.dwell, dt)) {
        const person = this.lead;
        this.occupants = 0;
        this.asleep = false;
        this.lead = undefined;
        // Most people switch the light off when they leave; some forget.
        if (this.light === 'ON' && rng.next() < 0.7) this.leaveLight(ts, person);
      }
    } else if (happens(rng, p / this.dwell, dt)) {
      this.arrive(ts);
    }
    if (this.occupants > 0) this.asleep = sleeping(this.type, hour);

    const dark = this.indoorDaylight(ts) < DARK_LUX;
    // A lamp under automation is the automation's (or, after an override, the person's until the next command).
    if (this.occupants > 0 && !this.people?.corrections.automated('light')) {
      if (this.asleep) {
        if (this.light === 'ON' && happens(rng, 1 / (5 * MINUTE), dt)) this.light = 'OFF';
      } else if (dark && this.light === 'OFF') {
        const reluctant = ts - this.lightOffCommandAt < 10 * MINUTE;
        if (happens(rng, 1 / (reluctant ? 8 * MINUTE : 40 * SECOND), dt)) this.light = 'ON';
      } else if (!dark && this.light === 'ON' && happens(rng, 1 / (40 * MINUTE), dt)) {
        this.light = 'OFF';
      }
    }

    // Temperature: the HVAC pulls to its setpoint, the walls leak to outdoors, people and the sun warm it.
    const outdoor = 11 + 6 * Math.sin((2 * Math.PI * (hourOfDay(ts) - 9)) / 24) + 8 * (valueNoise(this.seed, 11, ts, 24 * HOUR) - 0.5);
    const gainPerHour = 0.3 * this.occupants + 0.8 * daylight(ts) * (this.windowLux / 700) + (this.light === 'ON' ? 0.05 : 0);
    const a = 1 / HVAC_TAU_H;
    const b = 1 / LOSS_TAU_H;
    const equilibrium = (a * this.setpoint + b * outdoor + gainPerHour) / (a + b);
    const before = this.temperature;
    this.temperature = relax(this.temperature, equilibrium, dt, HOUR / (a + b));
    if (this.people) this.react(ts, hour);
    this.meter(dt, (before + this.temperature) / 2, hour);

    // Humidity: breath, showers and cooking add moisture; it airs out over about twenty minutes.
    let moistureTarget = 42 + 10 * (valueNoise(this.seed, 12, ts, 36 * HOUR) - 0.5) + 2.5 * this.occupants;
    if (this.occupants > 0 && this.type === 'bath') moistureTarget += 18;
    if (this.occupants > 0 && this.type === 'kitchen') moistureTarget += 6;
    this.moisture = relax(this.moisture, moistureTarget, dt, 20 * MINUTE);

    // CO2: a well-mixed room with ventilation (steady state outdoor + generation / air changes).
    const generation = (this.occupants * CO2_PER_PERSON * (this.asleep ? 0.75 : 1) * 1e6) / this.volume; // ppm per hour
    this.co2 = relax(this.co2, OUTDOOR_CO2 + generation / this.ach, dt, HOUR / this.ach);

    // Slow sensor drift.
    this.tempOffset = clamp(this.tempOffset + (this.tempDriftPerHour * dt) / HOUR, -0.8, 0.8);
    this.co2Offset = clamp(this.co2Offset + (this.co2DriftPerHour * dt) / HOUR, -60, 60);
  }

  /** HVAC effort (∫ |setpoint − air| / τ dt: the heat it pumps, in kelvin), lamp hours, comfort error while occupied. */
  private meter(dt: number, air: number, hour: number): void {
    const meters = this.meters;
    meters.hvacEffort += (Math.abs(this.setpoint - air) * dt) / HOUR / HVAC_TAU_H;
    if (this.light === 'ON') {
      meters.lampMs += dt;
      if (this.occupants === 0) meters.lampEmptyMs += dt;
    }
    if (this.occupants > 0) {
      meters.occupiedMs += dt;
      const preferred = this.preferred(hour);
      if (preferred !== undefined) meters.comfortErrorMs += Math.abs(air - preferred) * dt;
    }
  }

  takeActs(): PersonAct[] {
    return this.people ? this.people.corrections.take() : [];
  }

  inspect(): Record<string, number | string | boolean> {
    const hour = this.localHour(this.time);
    const preferred = this.preferred(hour);
    const { occupiedMs, comfortErrorMs, hvacEffort, lampMs, lampEmptyMs } = this.meters;
    return {
      room: this.type,
      hour,
      temperature: this.temperature,
      setpoint: this.setpoint,
      light: this.light,
      occupants: this.occupants,
      asleep: this.asleep,
      daylight: this.indoorDaylight(this.time),
      person: this.occupants > 0 ? (this.lead?.name ?? '') : '',
      ...(preferred !== undefined ? { preferred } : {}),
      occupiedHours: occupiedMs / HOUR,
      comfortErrorHours: comfortErrorMs / HOUR,
      hvacEffort,
      lampHours: lampMs / HOUR,
      lampEmptyHours: lampEmptyMs / HOUR,
    };
  }

  measure(): Record<string, number | boolean> {
    const rng = this.rng;
    const ts = this.time;
    const rh = this.moisture - 2 * (this.temperature - 21);
    const lux = this.indoorDaylight(ts) + (this.light === 'ON' ? this.lampLux : 0);
    const motionGap = this.occupants === 0 ? 0 : this.asleep ? 90 * SECOND : 7 * SECOND;
    const motion = this.occupants === 0 ? rng.next() < 0.003 : happens(rng, 1 / motionGap, this.interval);
    return {
      temperature: roundTo(this.temperature + this.tempOffset + 0.08 * normal(rng), 2),
      humidity: roundTo(clamp(rh + 0.8 * normal(rng), 1, 99), 1),
      light: roundTo(Math.max(0, lux + (3 + 0.03 * lux) * normal(rng)), 0),
      co2: roundTo(Math.max(300, this.co2 + this.co2Offset + (12 + 0.015 * this.co2) * normal(rng)), 0),
      motion,
    };
  }

  truth(): Truth {
    return { occupancy: this.occupants > 0 ? 'occupied' : 'empty', occupants: this.occupants };
  }

  command(fields: Record<string, unknown>): CommandCheck {
    let light: 'ON' | 'OFF' | undefined;
    let setpoint: number | undefined;
    if ('light' in fields) {
      light = readOnOff(fields.light);
      if (light === undefined) return { ok: false, detail: `light must be "ON" or "OFF", got ${JSON.stringify(fields.light)}` };
    }
    if ('setpoint' in fields) {
      setpoint = readNumber(fields.setpoint);
      if (setpoint === undefined || setpoint < SETPOINT_RANGE.min || setpoint > SETPOINT_RANGE.max) {
        return { ok: false, detail: `setpoint must be a number from ${SETPOINT_RANGE.min} to ${SETPOINT_RANGE.max} (Cel), got ${JSON.stringify(fields.setpoint)}` };
      }
    }
    const changed: Record<string, boolean> = {};
    if (light !== undefined) {
      changed.light = light !== this.light;
      this.light = light;
      if (light === 'OFF') this.lightOffCommandAt = this.time;
    }
    if (setpoint !== undefined) {
      changed.setpoint = setpoint !== this.setpoint;
      this.setpoint = setpoint;
    }
    this.people?.corrections.commanded(changed);
    return { ok: true };
  }

  state(): DeviceState {
    return { light: this.light, setpoint: this.setpoint };
  }
}

export const HOME: ScenarioModel = {
  name: 'home',
  sensors: HOME_SENSORS,
  truthNames: ['occupancy', 'occupants'],
  commandFields: ['light', 'setpoint'],
  deviceId: (index) => `${ROOM_TYPES[index % ROOM_TYPES.length]}-${Math.floor(index / ROOM_TYPES.length) + 1}`,
  createDevice: (context) => new HomeRoom(context),
  anomalyMix: { spike: 3, stuck: 1, drift: 1 },
};
