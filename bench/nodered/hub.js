// Shared by the bench (through tsx) and the bench node types Node-RED loads from this folder: both require this
// file by the same path, so they share one instance and the bench can reach the nodes of a deployed flow.
'use strict';

module.exports = {
  /** bench-driver nodes by id: the bench calls their `send`. */
  drivers: new Map(),
  /** Listeners by bench-sink node id: called with every message that arrives there. */
  sinks: new Map(),
};
