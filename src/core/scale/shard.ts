/**
 * Shard routing (docs/scale-out.md › "Shards"): which of N shards a device belongs to, and the MQTT topic a
 * reading is republished on so that the worker owning that shard receives it.
 *
 * The hash is FNV-1a, 32 bits, over the UTF-8 bytes of the deviceId; the shard is that number modulo N. It is
 * part of the palette's contract: every router, worker and version computes the same shard for the same id.
 */
import { forbiddenInTopic } from '../actuate/topic';
import { type ConfigResult, configError } from '../util/config';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The shard of a device, 0 … shards − 1. */
export function shardOf(deviceId: string, shards: number): number {
  return fnv1a32(deviceId) % shards;
}

/** Most shards a router may spread devices over (each is a lease and a subscription on the workers). */
export const MAX_SHARDS = 1024;
export const DEFAULT_SHARD_TOPIC = 'iot/shard/{shard}/{deviceId}';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NAMES = new Set(['shard', 'deviceId', 'sensor']);

export interface ShardRouting {
  shards: number;
  /** The topic template, checked: `{shard}` present, only `{shard}`, `{deviceId}`, `{sensor}`, no wildcard. */
  topic: string;
}

/** Reads `shards` (0 = off) and `shardTopic`; undefined routing when off. */
export function parseShardRouting(shardsRaw: unknown, topicRaw: unknown): ConfigResult<ShardRouting | undefined> {
  const shards = shardsRaw === undefined || shardsRaw === null || shardsRaw === '' ? 0 : Number(shardsRaw);
  if (!Number.isInteger(shards) || shards < 0 || shards > MAX_SHARDS) return configError(`shards must be a whole number from 0 (off) to ${MAX_SHARDS}, got ${JSON.stringify(shardsRaw)}`);
  if (shards === 0) return { ok: true, config: undefined };
  const topic = typeof topicRaw === 'string' && topicRaw.trim() !== '' ? topicRaw.trim() : DEFAULT_SHARD_TOPIC;
  for (const [, name] of topic.matchAll(PLACEHOLDER)) {
    if (!NAMES.has(name)) return configError(`shardTopic: {${name}} is not a placeholder (use {shard}, {deviceId}, {sensor})`);
  }
  if (!topic.includes('{shard}')) return configError('shardTopic must contain {shard}');
  const forbidden = forbiddenInTopic(topic.replace(PLACEHOLDER, ''));
  if (forbidden) return configError(`shardTopic holds ${forbidden}, which a topic to publish to cannot`);
  return { ok: true, config: { shards, topic } };
}

/** The topic of a reading of `deviceId` (and `sensor`) in shard `shard`. One pass: an id holding `{shard}` stays itself. */
export function shardTopic(template: string, shard: number, deviceId: string, sensor = ''): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (name === 'shard' ? String(shard) : name === 'deviceId' ? deviceId : name === 'sensor' ? sensor : whole));
}

/** Readings grouped by the topic they go out on (in order of first appearance, each group in arrival order). */
export function routeByShard<R extends { deviceId: string; sensor: string }>(readings: readonly R[], routing: ShardRouting): Array<{ topic: string; shard: number; readings: R[] }> {
  const groups = new Map<string, { topic: string; shard: number; readings: R[] }>();
  for (const reading of readings) {
    const shard = shardOf(reading.deviceId, routing.shards);
    const topic = shardTopic(routing.topic, shard, reading.deviceId, reading.sensor);
    let group = groups.get(topic);
    if (!group) groups.set(topic, (group = { topic, shard, readings: [] }));
    group.readings.push(reading);
  }
  return [...groups.values()];
}
