// The palette's Redis context store for Node-RED's settings.js (docs/scale-out.md):
//   contextStorage: { redis: { module: require('@iot-ai/node-red-iot-ai/context/redis'), config: { url: 'redis://127.0.0.1:6379' } } }
module.exports = require('../dist/redis/context-store.js').redisContextStore;
