/** Shapes shared by the simulator core, the `sensor-sim` glue and `iot-ai simulate`. */

export const SCENARIOS = ['home', 'city', 'health'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The project's own payload forms, on `<scenario>/<id>/sensors`. */
export const SIM_FORMATS = ['senml', 'json'] as const;
/** Device ecosystems' shapes and topics (docs/devices.md): what a Tasmota or Zigbee2MQTT device would publish. */
export const SIM_DEVICE_FORMATS = ['tasmota', 'zigbee2mqtt'] as const;
export const ALL_SIM_FORMATS = [...SIM_FORMATS, ...SIM_DEVICE_FORMATS] as const;
export type SimFormat = (typeof ALL_SIM_FORMATS)[number];

/** What a measurement is: a number with a SenML unit, or a boolean (a PIR motion sensor). */
export interface SensorDef {
  name: string;
  kind: 'number' | 'boolean';
  /** SenML unit symbol (README.md, The canonical reading); none for a plain count or a boolean. */
  unit?: string;
  /** Decimals the device reports. */
  decimals?: number;
  /** The plausible range, for sensor-ingest's `sensors` list: a glitch value outside it is a `range` reject. */
  min?: number;
  max?: number;
  /** What a faulty sensor reports (outside [min, max]), e.g. 85 °C from a DS18B20 after a power-on reset. */
  glitch?: number;
  /** Sensor faults this sensor can have when anomalies are on (none: it never fails that way). */
  /** `upward`: spikes only go up (a concentration: dust on the optics, a puff of exhaust); drifts go either way. */
  faults?: { spike: [number, number]; drift: [number, number]; upward?: boolean };
}

export type TruthValue = string | number | boolean;
/** The ground truth of a device at a reading's time, by name (`occupancy`, `congestion`, ...). */
export type Truth = Record<string, TruthValue>;

/** A measured value; null when that sensor dropped out of this reading. */
export type MeasuredValue = number | boolean | null;

/** The deliberately broken payloads, each a kind that sensor-ingest rejects. */
export const MALFORMED_KINDS = ['not-json', 'string-value', 'out-of-range', 'no-device'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** A SenML record as the simulated devices write them. */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  n?: string;
  u?: string;
  v?: number | string;
  vb?: boolean;
}

/** What a device publishes: a SenML pack, a flat JSON object, or (malformed) text. */
export type SimPayload = SenmlRecord[] | Record<string, unknown> | string;

/** One reporting slot of one device. */
export interface SimReading {
  deviceId: string;
  /** Simulated time of the reading, epoch ms. */
  ts: number;
  /** `<scenario>/<deviceId>/sensors`. */
  topic: string;
  /** What the device publishes; absent while the device is offline (a dropout of the whole reading). */
  payload?: SimPayload;
  /** The measured values by sensor, as the device sent them (null: dropped out); all null while offline. */
  values: Record<string, MeasuredValue>;
  truth: Truth;
  /** Set when the payload is deliberately broken. */
  malformed?: MalformedKind;
}

/** A device's own report of its new state after a person changed it (the `people` option). */
export interface SimStateReport {
  deviceId: string;
  /** Simulated time of the act, epoch ms. */
  ts: number;
  /** `<scenario>/<deviceId>/state`. */
  topic: string;
  /** The device's whole actuator state, as after a command. */
  payload: { deviceId: string } & DeviceState;
  /** `{ override: { person, cause, field, automatic, chosen, delay } }` or `{ manual: { person, action, field, before, chosen } }`. */
  truth: Record<string, Record<string, TruthValue>>;
}

/** MQTT v5 request/response properties of a command (what the core `mqtt in` node puts on msg). */
export interface CommandMeta {
  responseTopic?: string;
  correlationData?: unknown;
}

/** An acknowledgement to publish: `{ correlationId, ok, detail? }` to `replyTo`, or `{ ok, detail? }` to the MQTT v5 response topic. */
export interface SimReply {
  kind: 'payload' | 'mqtt5';
  topic: string;
  payload: { correlationId?: string; ok: boolean; detail?: string };
  /** MQTT v5: the command's correlation data, handed back unchanged. */
  correlationData?: unknown;
}

export type DeviceState = Record<string, string | number | boolean>;

export type CommandResult =
  | {
      handled: true;
      deviceId: string;
      ok: boolean;
      /** Why a command was refused (ok false), e.g. `setpoint must be between 5 and 35`. */
      detail?: string;
      /** The acknowledgements the command asked for (by its payload and MQTT v5 fields); may be empty. */
      replies: SimReply[];
      /** The device's whole actuator state after the command, on `<scenario>/<deviceId>/state` (when ok). */
      state?: { topic: string; payload: { deviceId: string } & DeviceState };
    }
  | { handled: false; reason: 'not-a-command' | 'unknown-device'; message: string };
