// Two node types for the bench's embedded Node-RED: `bench-driver` (the bench sends messages through it into a
// flow) and `bench-sink` (tells the bench about every message that arrives). Nothing else: no spies, no copies.
'use strict';
const hub = require('./hub');

module.exports = function register(RED) {
  function BenchDriver(def) {
    RED.nodes.createNode(this, def);
    hub.drivers.set(this.id, this);
    this.on('close', (_removed, done) => {
      if (hub.drivers.get(this.id) === this) hub.drivers.delete(this.id);
      done();
    });
  }
  RED.nodes.registerType('bench-driver', BenchDriver);

  function BenchSink(def) {
    RED.nodes.createNode(this, def);
    this.on('input', (msg, _send, done) => {
      const listener = hub.sinks.get(this.id);
      if (listener) listener(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
