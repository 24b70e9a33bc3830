/**
 * Device profiles: what one choice (`profile`) fills in for an ecosystem's commands and acknowledgements. The
 * conventions and their sources are in docs/devices.md; each is tested with the ecosystem's own payloads
 * (test/fixtures/actuate/profiles).
 */
import { isPlainObject } from './json';
import type { AckMode, JsonObject, JsonValue } from './types';

export const PROFILE_NAMES = ['generic', 'tasmota', 'zigbee2mqtt', 'shelly', 'esphome', 'homeassistant', 'ttn', 'lwm2m'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** A reply read by a profile's convention: whose it is (the reply token) and what it says. */
export interface ProfileReply {
  /** Empty when the reply carries no token of ours (TTN: another downlink's event). */
  token: string;
  /** undefined: an interim message (LwM2M's CoAP empty ACK): the command keeps waiting, quietly. */
  ok?: boolean;
  detail?: string;
  /** Which of the command's reply topics it must arrive on (TTN: `ack`, `nack`, `failed`). */
  channel: string;
}

/** How `ack: payload` works for an ecosystem that has its own request/response framing. */
export interface ReplyConvention {
  /** The reply topic the ecosystem fixes for a command topic; undefined: the command topic does not fit it. */
  fixedReplyTopic?(commandTopic: string): string | undefined;
  /** Checks a reply topic (a template, before filling): a reason when it cannot work. */
  checkReplyTopic?(template: string): string | undefined;
  /** Checks a rule's command (at config time): a reason when it cannot carry the token. */
  checkCommand?(command: JsonValue): string | undefined;
  /** The command as the device receives it, carrying the reply token (and where to reply). */
  attach(command: JsonObject, token: string, replyTopic: string): JsonValue;
  /** A reply in this convention, or undefined when the message is not one. */
  read(payload: unknown): ProfileReply | undefined;
  /** The exact topic a reply on `channel` must arrive on, for a command told (or fixed to) `replyTopic`. */
  replyTopicFor(replyTopic: string, channel: string): string;
}

/** How `ack: state` works: which topics carry the device's state, which fields a command sets, how values compare. */
export interface StateConvention {
  /** Topics on which the device reports the state set by a command sent to `commandTopic`. */
  stateTopics(commandTopic: string): string[];
  /** The fields a command sets, as the device reports them. */
  expected(commandTopic: string, command: JsonValue): JsonObject;
  /** The fields a report on `topic` carries (a bare value is named by the profile), or undefined. */
  reported(topic: string, payload: unknown): Record<string, unknown> | undefined;
  /** The name a field is compared by (Tasmota: case-insensitive, `POWER1` is `POWER`). */
  fieldKey(name: string): string;
  /** The device shows `commanded` by reporting `reported`. */
  same(reported: unknown, commanded: JsonValue): boolean;
}

export interface DeviceProfile {
  name: ProfileName;
  /** What a blank (or generic-default) dialog field becomes. */
  topic: string;
  replyTopic: string;
  ack: AckMode;
  /** `ack: payload` in the ecosystem's own framing; absent: the generic `{ correlationId, replyTo }` / `{ correlationId, ok }`. */
  reply?: ReplyConvention;
  /** `ack: state` by the ecosystem's state topics and fields; absent: the generic state match (state-match.ts). */
  state?: StateConvention;
}

/** Where our token goes in a TTN downlink's `correlation_ids`, told apart from the network's own ids by this prefix. */
export const TTN_CORRELATION_PREFIX = 'iot-ai:';

/** Words devices use for the same state; compared case-insensitively, after this mapping. */
const STATE_WORDS: Record<string, string> = {
  on: 'ON',
  true: 'ON',
  off: 'OFF',
  false: 'OFF',
  open: 'OPEN',
  opened: 'OPEN',
  close: 'CLOSED',
  closed: 'CLOSED',
  lock: 'LOCKED',
  locked: 'LOCKED',
  unlock: 'UNLOCKED',
  unlocked: 'UNLOCKED',
};

function stateWord(value: unknown): string | undefined {
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF';
  if (typeof value !== 'string') return undefined;
  return STATE_WORDS[value.trim().toLowerCase()];
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The devices' own normalisation: state words in any case and as booleans (`on`, `ON`, `true`), numbers and their
 * text (`42`, `"42.0"`); objects may report more fields than commanded, never different ones. Anything else exact.
 */
export function sameDeviceValue(reported: unknown, commanded: JsonValue, numericWords = false): boolean {
  if (Array.isArray(commanded)) {
    return (
      Array.isArray(reported) &&
      reported.length === commanded.length &&
      commanded.every((item, i) => sameDeviceValue(reported[i], item, numericWords))
    );
  }
  if (isPlainObject(commanded)) {
    return (
      isPlainObject(reported) &&
      Object.keys(commanded).every((key) => sameDeviceValue(reported[key], (commanded as JsonObject)[key], numericWords))
    );
  }
  if (reported === commanded) return true;
  const reportedWord = stateWord(reported);
  let commandedWord = stateWord(commanded);
  // `1` stands for ON only against a word: a Dimmer of 1 is still the number 1.
  if (commandedWord === undefined && reportedWord !== undefined && numericWords) commandedWord = numericWord(commanded);
  if (commandedWord !== undefined || reportedWord !== undefined) return commandedWord === reportedWord;
  const a = numberOf(reported);
  const b = numberOf(commanded);
  if (a !== undefined && b !== undefined) return a === b;
  return false;
}

/** Tasmota takes `1`/`0` for ON/OFF (and reports the word). */
function numericWord(value: unknown): string | undefined {
  const n = numberOf(value);
  return n === 1 ? 'ON' : n === 0 ? 'OFF' : undefined;
}

function segments(topic: string): string[] {
  return topic.split('/');
}

/** Fields of a command: an object's own, or a bare value named `name`. */
function fieldsOf(command: JsonValue, name: string): JsonObject {
  return isPlainObject(command) ? (command as JsonObject) : { [name]: command };
}

/**
 * Tasmota: `cmnd/<topic>/<Command>` with the value as text; the device answers on `stat/<topic>/RESULT`
 * (`{"POWER":"ON"}`), `stat/<topic>/<COMMAND>` (bare `ON`) and, periodically, `tele/<topic>/STATE`. The command's
 * name is the field. Names compare case-insensitively; `POWER` is `POWER1` (a single relay reports `POWER`).
 */
const tasmota: StateConvention = {
  stateTopics(commandTopic) {
    const parts = segments(commandTopic);
    const at = parts.indexOf('cmnd');
    if (at < 0 || parts.length < 2) return [];
    const command = parts[parts.length - 1];
    const withPrefix = (prefix: string, last: string) =>
      parts.map((part, i) => (i === at ? prefix : i === parts.length - 1 ? last : part)).join('/');
    return [withPrefix('stat', 'RESULT'), withPrefix('stat', command.toUpperCase()), withPrefix('stat', command), withPrefix('tele', 'STATE')];
  },
  expected(commandTopic, command) {
    const parts = segments(commandTopic);
    return fieldsOf(command, parts[parts.length - 1]);
  },
  reported(topic, payload) {
    if (isPlainObject(payload)) return payload;
    const parts = segments(topic);
    const last = parts[parts.length - 1];
    // A bare value on stat/<topic>/<COMMAND> is that command's state; on RESULT or STATE it names nothing.
    if (last === 'RESULT' || last === 'STATE' || payload === undefined || payload === null) return undefined;
    return { [last]: payload };
  },
  fieldKey(name) {
    const upper = name.toUpperCase();
    return upper === 'POWER1' ? 'POWER' : upper;
  },
  same: (reported, commanded) => sameDeviceValue(reported, commanded, true),
};

/** Strips a `/set` (or `/set/<attribute>`) tail: Zigbee2MQTT and Home Assistant's MQTT convention. */
function baseOfSet(commandTopic: string): { base: string; attribute?: string } | undefined {
  const parts = segments(commandTopic);
  const at = parts.lastIndexOf('set');
  if (at < 1 || at < parts.length - 2) return undefined;
  return { base: parts.slice(0, at).join('/'), attribute: at === parts.length - 2 ? parts[at + 1] : undefined };
}

/**
 * Zigbee2MQTT: `zigbee2mqtt/<friendly name>/set` with a JSON object (`{"state":"ON"}`), or
 * `.../set/<attribute>` with the bare value; the device's state is published on `zigbee2mqtt/<friendly name>`.
 */
const zigbee2mqtt: StateConvention = {
  stateTopics(commandTopic) {
    const set = baseOfSet(commandTopic);
    return set ? [set.base] : [];
  },
  expected(commandTopic, command) {
    return fieldsOf(command, baseOfSet(commandTopic)?.attribute ?? 'state');
  },
  reported: (_topic, payload) => (isPlainObject(payload) ? payload : undefined),
  fieldKey: (name) => name,
  same: (reported, commanded) => sameDeviceValue(reported, commanded),
};

/**
 * ESPHome: `<prefix>/<component>/<name>/command` (`ON`, or JSON for lights), state on `.../state` (bare `ON`, or
 * JSON with `state`).
 */
const esphome: StateConvention = {
  stateTopics(commandTopic) {
    const parts = segments(commandTopic);
    if (parts.length < 2 || parts[parts.length - 1] !== 'command') return [];
    return [[...parts.slice(0, -1), 'state'].join('/')];
  },
  expected: (_topic, command) => fieldsOf(command, 'state'),
  reported: (_topic, payload) =>
    isPlainObject(payload) ? payload : payload === undefined || payload === null ? undefined : { state: payload },
  fieldKey: (name) => name,
  same: (reported, commanded) => sameDeviceValue(reported, commanded),
};

/**
 * Home Assistant's MQTT conventions (switch, light, lock, cover): `command_topic` `<base>/set` with `ON`/`OFF`
 * (or JSON for the light's JSON schema), `state_topic` `<base>` or `<base>/state`.
 */
const homeassistant: StateConvention = {
  stateTopics(commandTopic) {
    const set = baseOfSet(commandTopic);
    return set && set.attribute === undefined ? [set.base, `${set.base}/state`] : [];
  },
  expected: (_topic, command) => fieldsOf(command, 'state'),
  reported: esphome.reported,
  fieldKey: (name) => name,
  same: (reported, commanded) => sameDeviceValue(reported, commanded),
};

/**
 * Shelly Gen2/Gen3 RPC over MQTT: `{ id, src, method, params }` on `<device>/rpc`; the device answers on
 * `<src>/rpc` with the same `id` and `result`, or `error: { code, message }`.
 */
const shellyRpc: ReplyConvention = {
  checkReplyTopic(template) {
    return template.endsWith('/rpc') && template.length > 4 ? undefined : 'must end in "/rpc": Shelly replies on <src>/rpc';
  },
  attach(command, token, replyTopic) {
    return { ...command, id: token, src: replyTopic.slice(0, -'/rpc'.length) };
  },
  read(payload) {
    if (!isPlainObject(payload) || !('result' in payload || 'error' in payload)) return undefined;
    const { id } = payload;
    if (!(typeof id === 'string' && id !== '') && typeof id !== 'number') return undefined;
    if (payload.error !== undefined) {
      const error = payload.error;
      const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
      const detail = isPlainObject(error)
        ? [text(error.code), text(error.message)].filter((v) => v !== undefined).join(' ')
        : (text(error) ?? '');
      return { token: String(id), ok: false, detail: detail || 'error', channel: 'reply' };
    }
    return { token: String(id), ok: true, detail: 'result', channel: 'reply' };
  },
  replyTopicFor: (replyTopic) => replyTopic,
};

/** `v3/<app>@<tenant>/devices/<device>/down/push` (or `replace`) → `.../down`. */
function ttnBase(commandTopic: string): string | undefined {
  const match = /^(v3\/.+\/devices\/[^/]+\/down)\/(push|replace)$/.exec(commandTopic);
  return match ? match[1] : undefined;
}

/** Events that end a downlink, and the topic each comes on; `queued` and `sent` (and our own push) only pass by. */
const TTN_CHANNELS: Record<string, string> = {
  downlink_ack: 'ack',
  downlink_nack: 'nack',
  downlink_failed: 'failed',
  downlink_queued: 'queued',
  downlink_sent: 'sent',
};

function ttnOwnId(ids: unknown): string {
  const list = Array.isArray(ids) ? ids : [];
  const ours = list.find((id): id is string => typeof id === 'string' && id.startsWith(TTN_CORRELATION_PREFIX));
  return ours === undefined ? '' : ours.slice(TTN_CORRELATION_PREFIX.length);
}

/**
 * The Things Stack v3: `{"downlinks": [{ f_port, frm_payload | decoded_payload, confirmed, correlation_ids }]}` on
 * `.../down/push`; the network server publishes `downlink_ack` on `.../down/ack`, `downlink_nack` on `.../down/nack`
 * and `downlink_failed` on `.../down/failed`, each carrying the downlink's `correlation_ids`.
 */
const ttnDownlink: ReplyConvention = {
  fixedReplyTopic(commandTopic) {
    const base = ttnBase(commandTopic);
    return base === undefined ? undefined : `${base}/ack`;
  },
  checkCommand(command) {
    const downlinks = isPlainObject(command) ? command.downlinks : undefined;
    return Array.isArray(downlinks) && downlinks.length > 0 && downlinks.every(isPlainObject)
      ? undefined
      : 'must be {"downlinks": [{...}]} as The Things Stack takes it';
  },
  attach(command, token) {
    const downlinks = (command.downlinks as JsonValue[]).map((downlink) => {
      const item = downlink as JsonObject;
      const ids = Array.isArray(item.correlation_ids) ? item.correlation_ids : [];
      return { ...item, correlation_ids: [...ids, `${TTN_CORRELATION_PREFIX}${token}`] };
    });
    return { ...command, downlinks };
  },
  read(payload) {
    if (!isPlainObject(payload)) return undefined;
    // Our own push seen again (an mqtt in on `.../down/#`): passes by quietly.
    if (Array.isArray(payload.downlinks)) {
      const first = payload.downlinks.find(isPlainObject);
      return { token: ttnOwnId(first?.correlation_ids), channel: 'push' };
    }
    for (const [key, channel] of Object.entries(TTN_CHANNELS)) {
      const event = payload[key];
      if (!isPlainObject(event)) continue;
      const downlink = key === 'downlink_failed' && isPlainObject(event.downlink) ? event.downlink : event;
      // Empty for another application's (or a hand-sent) downlink: a reply, but none of ours.
      const token = ttnOwnId(downlink.correlation_ids);
      if (channel === 'queued' || channel === 'sent') return { token, channel };
      if (channel === 'ack') return { token, ok: true, detail: 'downlink_ack', channel };
      if (channel === 'nack') return { token, ok: false, detail: 'downlink_nack', channel };
      const error = isPlainObject(event.error) ? event.error : {};
      const detail = [error.name, error.message_format].filter((v) => typeof v === 'string').join(': ');
      return { token, ok: false, detail: detail || 'downlink_failed', channel };
    }
    return undefined;
  },
  replyTopicFor: (replyTopic, channel) => `${replyTopic.slice(0, -'/ack'.length)}/${channel}`,
};


/**
 * LwM2M through a gateway that bridges it to MQTT (EMQX's LwM2M gateway): `{ reqID, msgType, data }` on
 * `lwm2m/<endpoint>/dn`; the response comes on `lwm2m/<endpoint>/up/resp` with the same `reqID` and a CoAP code
 * (`2.04` Changed acks, `4.xx`/`5.xx` nack). `msgType: "ack"` is CoAP's empty ACK, not the answer.
 * EMQX 4's emqx_lwm2m names the request id `reqID`; EMQX 5's gateway names it `requestID` (and echoes a `cacheID`),
 * with commands under `lwm2m/<endpoint>/dn/...`: the command carries both names, a response is read by either.
 */
const lwm2mGateway: ReplyConvention = {
  fixedReplyTopic(commandTopic) {
    const match = /^(.+)\/dn(\/[^#+]*)?$/.exec(commandTopic);
    return match ? `${match[1]}/up/resp` : undefined;
  },
  attach: (command, token) => ({ ...command, reqID: token, requestID: token }),
  read(payload) {
    if (!isPlainObject(payload) || !('msgType' in payload)) return undefined;
    const reqID = payload.requestID ?? payload.reqID;
    // Registrations and updates share up/resp in EMQX's default configuration; they answer nobody.
    if (!(typeof reqID === 'string' && reqID !== '') && typeof reqID !== 'number') return { token: '', channel: 'reply' };
    const token = String(reqID);
    if (payload.msgType === 'ack') return { token, channel: 'reply' };
    const data = isPlainObject(payload.data) ? payload.data : {};
    const code = typeof data.code === 'string' ? data.code : '';
    const detail = [code, data.codeMsg].filter((v) => typeof v === 'string' && v !== '').join(' ') || 'no code';
    return { token, ok: code.startsWith('2.'), detail, channel: 'reply' };
  },
  replyTopicFor: (replyTopic) => replyTopic,
};

export const PROFILES: Record<ProfileName, DeviceProfile> = {
  generic: { name: 'generic', topic: '{deviceId}/set', replyTopic: '{topic}/reply', ack: 'none' },
  tasmota: { name: 'tasmota', topic: 'cmnd/{deviceId}/POWER', replyTopic: '{topic}/reply', ack: 'state', state: tasmota },
  zigbee2mqtt: { name: 'zigbee2mqtt', topic: 'zigbee2mqtt/{deviceId}/set', replyTopic: '{topic}/reply', ack: 'state', state: zigbee2mqtt },
  shelly: { name: 'shelly', topic: '{deviceId}/rpc', replyTopic: 'iot-ai/{deviceId}/rpc', ack: 'payload', reply: shellyRpc },
  esphome: { name: 'esphome', topic: '{deviceId}/switch/relay/command', replyTopic: '{topic}/reply', ack: 'state', state: esphome },
  homeassistant: { name: 'homeassistant', topic: '{deviceId}/set', replyTopic: '{topic}/reply', ack: 'state', state: homeassistant },
  ttn: {
    name: 'ttn',
    topic: 'v3/my-app@ttn/devices/{deviceId}/down/push',
    replyTopic: '{topic}/reply',
    ack: 'payload',
    reply: ttnDownlink,
  },
  lwm2m: { name: 'lwm2m', topic: 'lwm2m/{deviceId}/dn', replyTopic: '{topic}/reply', ack: 'payload', reply: lwm2mGateway },
};
