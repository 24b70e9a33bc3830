/** Real MQTT brokers for tests: the embedded aedes (MQTT 3.1.1) and Debian's mosquitto (MQTT 5). */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { freePort } from './nodered-process';

export interface Broker {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startAedes(): Promise<Broker> {
  const { Aedes } = require('aedes');
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}

/** `extraConfig`: further mosquitto.conf lines (e.g. `max_queued_messages 0`). */
export async function startMosquitto(extraConfig = ''): Promise<Broker & { stop(): Promise<void>; start(): Promise<void> }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-mosquitto-'));
  // Started as root, mosquitto drops to its own user: it must be able to write its persistence file here, or
  // sessions and queued messages silently do not survive a restart.
  fs.chmodSync(dir, 0o777);
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\n${extraConfig}`);
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('mosquitto did not start');
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    start,
    stop,
    close: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An MQTT client that records what arrives on its subscriptions. */
export async function mqttClient(url: string, options: mqtt.IClientOptions = {}) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...options });
  const received: Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload, packet });
    waiters.splice(0).forEach((w) => w());
  });
  return {
    client,
    received,
    json(topic: string) {
      return received.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload.toString('utf8')));
    },
    async waitFor(predicate: () => boolean, timeoutMs = 10000, what = 'messages') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${received.length} message(s): ${received.map((m) => m.topic).join(', ')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    end: () => client.endAsync(),
  };
}
