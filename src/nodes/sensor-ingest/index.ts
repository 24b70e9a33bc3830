import { INGEST_DEFAULTS, Ingestor, parseIngestConfig, type RawIngestConfig } from '../../core/ingest';
import { createClock } from '../../core/util/clock';
import { MAX_READINGS_PER_MESSAGE } from '../../core/types';
import { batchMessage, rejectMessage, sendEach } from '../shared/messages';
import type { Node, NodeDef, NodeMessage, RED } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { migrateConfig } from '../shared/migrations';
import { readNodeConfig } from '../shared/config';
import { routeByShard, shardOf, shardTopic } from '../../core/scale/shard';

/** Node-RED glue for sensor-ingest: config in, core Ingestor, readings to output 1, rejects to output 2. */
export = function register(RED: RED): void {
  // One arrival clock for every sensor-ingest of the process: a redeploy does not re-anchor it (core/util/clock.ts).
  const clock = createClock();
  function SensorIngestNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const parsed = parseIngestConfig(def as RawIngestConfig);
    const counts = { ok: 0, rejected: 0 };
    const status = new StatusReporter(node, () => ({
      fill: counts.rejected > 0 ? 'yellow' : 'green',
      shape: 'dot',
      text: countsText([
        [counts.ok, RED._('sensor-ingest.status.ok')],
        [counts.rejected, RED._('sensor-ingest.status.rejected')],
      ]),
    }));

    const config = readNodeConfig(node, parsed, RED._('sensor-ingest.errors.config'));
    if (config === undefined) return;
    const ingestor = new Ingestor(config);
    node.status({ fill: 'grey', shape: 'ring', text: RED._('sensor-ingest.status.ready') });

    node.on('input', (msg: NodeMessage, send, done) => {
      const { readings, rejects } = ingestor.ingest(msg.payload, typeof msg.topic === 'string' ? msg.topic : undefined, clock.now());
      counts.ok += readings.length;
      counts.rejected += rejects.length;
      const sharding = ingestor.config.sharding;
      if (sharding && ingestor.config.output === 'batch') {
        // One message per shard topic (per device with the default topic), so each goes to its shard's worker.
        for (const group of routeByShard(readings, sharding)) {
          for (let start = 0; start < group.readings.length; start += MAX_READINGS_PER_MESSAGE) {
            send([{ ...msg, topic: group.topic, shard: group.shard, payload: group.readings.slice(start, start + MAX_READINGS_PER_MESSAGE) }, null]);
          }
        }
      } else if (ingestor.config.output === 'batch') {
        // One message for the whole input: the readings as an array (feature-window takes it as it is), topic
        // the deviceId they share (shared/messages.ts, batchMessage). A payload of more readings than feature-window
        // takes in one message (a JSON object of many fields) goes in several, in order.
        for (let start = 0; start < readings.length; start += MAX_READINGS_PER_MESSAGE) {
          const part = start === 0 && readings.length <= MAX_READINGS_PER_MESSAGE ? readings : readings.slice(start, start + MAX_READINGS_PER_MESSAGE);
          send([batchMessage(msg, part), null]);
        }
      } else {
        // One message per reading, each in its own send() call (shared/messages.ts, sendEach): no deep copies.
        const good: NodeMessage[] = new Array(readings.length);
        for (let i = 0; i < readings.length; i++) {
          const reading = readings[i];
          if (sharding) {
            const shard = shardOf(reading.deviceId, sharding.shards);
            good[i] = { ...msg, topic: shardTopic(sharding.topic, shard, reading.deviceId, reading.sensor), shard, payload: reading };
          } else good[i] = { ...msg, topic: reading.deviceId + '/' + reading.sensor, payload: reading };
        }
        sendEach(send, 0, good, msg, RED.util.cloneMessage);
      }
      if (rejects.length > 0) {
        // Text and Buffers are shared between messages for free; an object payload Node-RED deep-copies for each.
        const payloadIsCopied = msg.payload !== null && typeof msg.payload === 'object' && !Buffer.isBuffer(msg.payload);
        const sentOneByOne = payloadIsCopied ? INGEST_DEFAULTS.maxRejectMessages : rejects.length;
        const bad: NodeMessage[] = rejects.slice(0, sentOneByOne).map((error) => rejectMessage(msg, error));
        const unsent = rejects.length - sentOneByOne;
        if (unsent > 0) {
          bad.push(rejectMessage(msg, { code: 'too-large', message: `${unsent} more bad records of this object payload are not sent one by one`, path: '' }));
        }
        send([null, bad]);
      }
      status.update();
      done();
    });

    node.on('close', (_removed, done) => {
      status.close();
      done();
    });
  }
  RED.nodes.registerType('sensor-ingest', SensorIngestNode);
};
