// The bench's MQTT device fleet, a process of its own (node bench/lib/publisher.js <broker url> <messages file>):
// connects, says `ready` over IPC, and on each `go` publishes every device message of the file (QoS 0, as fast as
// the connection takes them), then says `published`. `exit` ends it.
'use strict';
const fs = require('fs');
const mqtt = require('mqtt');

const [url, file] = process.argv.slice(2);
const { topics, payloads } = JSON.parse(fs.readFileSync(file, 'utf8'));
const client = mqtt.connect(url, { reconnectPeriod: 0 });
client.on('error', (err) => {
  console.error(`publisher: ${err.message}`);
  process.exit(1);
});
client.on('connect', () => process.send({ kind: 'ready' }));

/** Publishes in slices, yielding between them so the socket drains as it goes. */
function publishAll(done) {
  const SLICE = 500;
  let i = 0;
  const step = () => {
    const end = Math.min(i + SLICE, payloads.length);
    for (; i < end; i++) client.publish(topics[i], payloads[i], { qos: 0 });
    if (i < payloads.length) setImmediate(step);
    else done();
  };
  step();
}

process.on('message', (message) => {
  if (message.kind === 'go') publishAll(() => process.send({ kind: 'published' }));
  else if (message.kind === 'exit') client.end(false, {}, () => process.exit(0));
});
