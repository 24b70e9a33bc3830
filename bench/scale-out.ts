/**
 * 8. Scale-out throughput (docs/scale-out.md): readings per second through router → W shard workers
 * (feature-window + actuator-command, state in Redis) for W = 1, 2, 3, against one single Node-RED doing the same
 * work alone, all on this machine with mosquitto and redis-server on loopback (the flows of test/helpers/scale-out.ts).
 * A burst of readings is published as fast as the broker takes them (QoS 1); the time runs from the first publish to
 * the last window arriving.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mqttClient, startMosquitto } from '../test/helpers/broker';
import { startRedis } from '../test/helpers/redis';
import { NodeRedProcess } from '../test/helpers/nodered-process';
import { reading, routerFlow, singleFlow, startWorker, waitConnected, workerFlow } from '../test/helpers/scale-out';
import { ROOT } from './lib/project';
import { figure, progress, runSection, Section, type BenchOptions } from './lib/report';
import { spread } from './lib/timing';

/** The helpers install the packed palette, as users do: pack once unless the test runner did. */
function ensureTarball(): void {
  if (process.env.IOT_AI_TARBALL && fs.existsSync(process.env.IOT_AI_TARBALL)) return;
  const dir = path.join(ROOT, '.scratch', 'bench-pack');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const npm = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  const tarball = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (npm.status !== 0 || !tarball) throw new Error(`npm pack failed: ${npm.stderr}`);
  process.env.IOT_AI_TARBALL = path.join(dir, tarball);
}

/** One deployment (W workers, or W = 0: the single instance), one burst; readings per second end to end. */
async function run(workers: number, devices: number, ticks: number): Promise<number> {
  const broker = await startMosquitto('max_queued_messages 0\n');
  const redis = await startRedis();
  const reds: NodeRedProcess[] = [];
  try {
    const topic = workers === 0 ? 'single/windows' : 'out/windows';
    if (workers === 0) reds.push(await NodeRedProcess.start({ flows: singleFlow(broker.port) }));
    else {
      reds.push(await NodeRedProcess.start({ flows: routerFlow(broker.port, workers) }));
      for (let i = 0; i < workers; i++) reds.push(await startWorker(redis.url, workers, 5000, workerFlow(broker.port)));
    }
    await waitConnected(reds);
    const sink = await mqttClient(broker.url, { clientId: 'bench-sink' });
    await sink.client.subscribeAsync(topic, { qos: 1 });
    const publisher = await mqttClient(broker.url, { clientId: 'bench-devices' });
    const started = Date.now();
    for (let t = 0; t <= ticks; t++) await Promise.all(Array.from({ length: devices }, (_, i) => publisher.client.publishAsync(`sensors/${reading(i, t).deviceId}`, JSON.stringify(reading(i, t)), { qos: 1 })));
    const windows = devices * Math.floor(ticks / 10);
    await sink.waitFor(() => sink.received.length >= windows, 600_000, 'windows');
    const seconds = (Date.now() - started) / 1000;
    await publisher.end();
    await sink.end();
    return (devices * (ticks + 1)) / seconds;
  } finally {
    for (const red of reds) await red.dispose();
    await redis.close();
    await broker.close();
  }
}

async function scaleOutSection(options: BenchOptions): Promise<Section> {
  ensureTarball();
  const devices = options.quick ? 200 : 1000;
  const ticks = options.quick ? 20 : 30;
  const section = new Section(
    'scale-out',
    '8. Scale-out throughput',
    [
      `${devices} devices × ${ticks + 1} readings (one JSON message each, QoS 1) published as fast as mosquitto takes them, through`,
      'one router (sensor-ingest `shards: W`) to W shard workers (feature-window + actuator-command, state in Redis),',
      'against one single Node-RED doing ingest + window + command alone; timed from the first publish to the last window.',
      'Everything (broker, Redis, publisher, W + 1 Node-RED) shares this machine\'s cores: one round each.',
    ].join('\n'),
  );
  progress(`single instance: ${devices * (ticks + 1)} readings`);
  const single = await run(0, devices, ticks);
  section.row('single Node-RED (ingest + window + command), readings/s', figure(spread([single]), 'rate'));
  for (const workers of [1, 2, 3]) {
    progress(`router + ${workers} worker(s)`);
    const rate = await run(workers, devices, ticks);
    section.row(`router + ${workers} worker(s), readings/s (ratio: ÷ single)`, figure(spread([rate]), 'rate'), figure(spread([single]), 'rate'), figure(spread([rate / single]), 'ratio'));
  }
  section.note('2 cores: W workers + router + broker + Redis + publisher compete for them, so more workers cannot beat ~2× one process here.');
  return section;
}

if (require.main === module) runSection(scaleOutSection);
