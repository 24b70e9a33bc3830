/**
 * Issue #15: every actuator profile against a script that answers exactly as that ecosystem's device (or network
 * server, or gateway) does, over a real broker: aedes (MQTT 3.1.1) and Debian's mosquitto with the flow's broker
 * connection on MQTT 5. Each command is acknowledged by the device's own echo or reply, and never by a different
 * field, relay or device: the misbehaving devices below answer in the right form for the wrong thing.
 */
import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, startMosquitto, mqttClient, type Broker } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

type Client = Awaited<ReturnType<typeof mqttClient>>;

interface ProfileCase {
  profile: string;
  /** Topic filter of the mqtt in that brings the device's answers back. */
  answers: string;
  props: Record<string, unknown>;
  /** deviceId → the outcome its command must end in. */
  devices: Record<string, 'acked' | 'nacked' | 'timeout'>;
}

const CASES: ProfileCase[] = [
  {
    profile: 'tasmota',
    answers: 'stat/+/+',
    props: { topic: 'cmnd/{deviceId}/POWER2', rules: [{ label: 'on', commandType: 'text', command: 'on' }] },
    // `stuck`: relay 2 did not switch; the device reports relay 1 (the issue's false ack).
    devices: { plug: 'acked', stuck: 'timeout' },
  },
  {
    profile: 'zigbee2mqtt',
    answers: 'zigbee2mqtt/#',
    props: { rules: [{ label: 'on', command: { state: 'ON', brightness: 200 } }] },
    // `dead_bulb` stays off; `kitchen/floor_light2` is a neighbour that happens to be on.
    devices: { 'kitchen/floor_light': 'acked', dead_bulb: 'timeout' },
  },
  {
    profile: 'shelly',
    answers: 'iot-ai/+/rpc',
    props: { rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] },
    // `shellyplus1-other` answers another request's id; `shellypro4pm-err` answers with an error frame.
    devices: { 'shellyplus1-c4dd57877294': 'acked', 'shellyplus1-other': 'timeout', 'shellypro4pm-err': 'nacked' },
  },
  {
    profile: 'esphome',
    answers: '+/switch/+/state',
    props: { rules: [{ label: 'on', commandType: 'text', command: 'ON' }] },
    // `stubborn` reports its fan component on, not the relay.
    devices: { livingroom: 'acked', stubborn: 'timeout' },
  },
  {
    profile: 'homeassistant',
    answers: 'home/#',
    props: { rules: [{ label: 'on', commandType: 'text', command: 'ON' }] },
    devices: { 'home/bedroom/switch1': 'acked', 'home/bedroom/broken': 'timeout' },
  },
  {
    profile: 'ttn',
    answers: 'v3/+/devices/+/down/#',
    props: { topic: 'v3/app1@ttn/devices/{deviceId}/down/push', rules: [{ label: 'on', command: { downlinks: [{ f_port: 15, frm_payload: 'vu8=', priority: 'NORMAL', confirmed: true }] } }] },
    // `dev-nack`: the device did not confirm; `dev-foreign`: only another downlink is acknowledged.
    devices: { dev1: 'acked', 'dev-nack': 'nacked', 'dev-foreign': 'timeout' },
  },
  {
    profile: 'lwm2m',
    answers: 'lwm2m/+/up/resp',
    props: { rules: [{ label: 'on', command: { msgType: 'write', data: { path: '/3311/0/5850', type: 'Boolean', value: true } } }] },
    // `ep-404` has no light object; `ep-slow` only sends CoAP's empty ACK.
    devices: { ep1: 'acked', 'ep-404': 'nacked', 'ep-slow': 'timeout' },
  },
];

function profileFlow(brokerPort: number, protocolVersion: '4' | '5'): object[] {
  const nodes: object[] = [tab('actuator profiles e2e'), mqttBroker(brokerPort, { protocolVersion })];
  CASES.forEach(({ profile, answers, props }, i) => {
    const y = 60 + i * 80;
    nodes.push(
      mqttIn(`pred-${profile}`, `predictions/${profile}`, [`act-${profile}`], { x: 100, y }),
      mqttIn(`ans-${profile}`, answers, [`act-${profile}`], { x: 100, y: y + 30, datatype: 'auto-detect' }),
      { id: `act-${profile}`, type: 'actuator-command', z: TAB, profile, ackTimeout: 2500, retries: 0, x: 300, y, wires: [[`cmd-${profile}`], [`out-${profile}`]], ...props },
      mqttOut(`cmd-${profile}`, '', { x: 500, y }),
      mqttOut(`out-${profile}`, `outcomes/${profile}`, { x: 500, y: y + 30 }),
    );
  });
  return nodes;
}

/** The devices: each answers as its ecosystem's firmware, network server or gateway does (see docs/devices.md). */
function simulateDevices(device: Client): void {
  const publish = (topic: string, payload: unknown) =>
    void device.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
  device.client.on('message', (topic, raw) => {
    const text = raw.toString('utf8');
    let m: RegExpExecArray | null;
    if ((m = /^cmnd\/([^/]+)\/([^/]+)$/.exec(topic))) {
      const [, name, command] = m;
      const relay = command.toUpperCase();
      const state = text.toUpperCase();
      // Tasmota answers with RESULT and the bare stat/<topic>/<COMMAND>; a stuck relay 2 shows relay 1 instead.
      const reported = name === 'stuck' ? 'POWER1' : relay;
      publish(`stat/${name}/RESULT`, { [reported]: state });
      publish(`stat/${name}/${reported}`, state);
    } else if ((m = /^zigbee2mqtt\/(.+)\/set$/.exec(topic))) {
      const name = m[1];
      const command = JSON.parse(text);
      if (name === 'dead_bulb') {
        publish('zigbee2mqtt/dead_bulb', { state: 'OFF', brightness: 0, linkquality: 40 });
        publish('zigbee2mqtt/kitchen/floor_light2', { ...command, linkquality: 90 });
      } else publish(`zigbee2mqtt/${name}`, { ...command, state: String(command.state).toUpperCase(), linkquality: 94 });
    } else if ((m = /^([^/]+)\/rpc$/.exec(topic)) ) {
      const name = m[1];
      const request = JSON.parse(text);
      const head = { id: name === 'shellyplus1-other' ? 123 : request.id, src: name, dst: request.src };
      publish(`${request.src}/rpc`, name === 'shellypro4pm-err' ? { ...head, error: { code: -103, message: 'Invalid argument' } } : { ...head, result: { was_on: false } });
    } else if ((m = /^([^/]+)\/switch\/([^/]+)\/command$/.exec(topic))) {
      const [, name, component] = m;
      publish(`${name}/switch/${name === 'stubborn' ? 'fan' : component}/state`, text.toUpperCase());
    } else if ((m = /^(home\/.+)\/set$/.exec(topic))) {
      publish(m[1], m[1].endsWith('broken') ? 'OFF' : text);
    } else if ((m = /^(v3\/[^/]+\/devices\/([^/]+)\/down)\/push$/.exec(topic))) {
      const [, base, dev] = m;
      const downlink = JSON.parse(text).downlinks[0];
      const ids = dev === 'dev-foreign' ? ['as:downlink:01OTHER'] : ['as:downlink:01EXAMPLE', ...downlink.correlation_ids];
      const ids2 = { end_device_ids: { device_id: dev, application_ids: { application_id: 'app1' } }, correlation_ids: ['as:downlink:01EXAMPLE'] };
      publish(`${base}/queued`, { ...ids2, downlink_queued: { ...downlink, correlation_ids: ids } });
      const event = { ...downlink, session_key_id: 'AXBSH1Pk6Z0G166', f_cnt: 1, correlation_ids: ids };
      if (dev === 'dev-nack') publish(`${base}/nack`, { ...ids2, downlink_nack: event });
      else publish(`${base}/ack`, { ...ids2, downlink_ack: event });
    } else if ((m = /^lwm2m\/([^/]+)\/dn$/.exec(topic))) {
      const endpoint = m[1];
      const request = JSON.parse(text);
      publish(`lwm2m/${endpoint}/up/resp`, { reqID: request.reqID, msgType: 'ack' });
      if (endpoint === 'ep-slow') return;
      const data = endpoint === 'ep-404' ? { code: '4.04', codeMsg: 'not_found', reqPath: request.data.path } : { code: '2.04', codeMsg: 'changed', reqPath: request.data.path };
      publish(`lwm2m/${endpoint}/up/resp`, { reqID: request.reqID, msgType: 'write', data });
    }
  });
}

const COMMAND_FILTERS = ['cmnd/+/+', 'zigbee2mqtt/+/set', 'zigbee2mqtt/+/+/set', '+/rpc', '+/switch/+/command', 'home/#', 'v3/+/devices/+/down/push', 'lwm2m/+/dn'];

function suite(name: string, startBroker: () => Promise<Broker>, protocolVersion: '4' | '5') {
  describe(name, function () {
    let broker: Broker;
    let red: NodeRedProcess;
    let device: Client;
    let observer: Client;

    before(async () => {
      broker = await startBroker();
      red = await NodeRedProcess.start();
      await red.deploy(profileFlow(broker.port, protocolVersion));
      device = await mqttClient(broker.url);
      await device.client.subscribeAsync(COMMAND_FILTERS, { qos: 1 });
      simulateDevices(device);
      observer = await mqttClient(broker.url);
      await observer.client.subscribeAsync('outcomes/#', { qos: 1 });
    });
    after(async () => {
      await device?.end();
      await observer?.end();
      await red?.dispose();
      await broker?.close();
    });

    for (const { profile, devices } of CASES) {
      it(`${profile}: ${Object.entries(devices).map(([d, s]) => `${d} ${s}`).join(', ')}`, async () => {
        const outcomes = () => observer.json(`outcomes/${profile}`);
        // The flow's mqtt in nodes subscribe asynchronously after deploy: repeat until each device's `sent` appears.
        const deadline = Date.now() + 20000;
        for (const deviceId of Object.keys(devices)) {
          while (!outcomes().some((o) => o.deviceId === deviceId && o.status === 'sent')) {
            if (Date.now() > deadline) throw new Error(`${profile}: no command for ${deviceId}`);
            await observer.client.publishAsync(`predictions/${profile}`, JSON.stringify({ deviceId, prediction: { label: 'on', confidence: 1 } }), { qos: 1 });
            await new Promise((r) => setTimeout(r, 300));
          }
        }
        const finals = () => outcomes().filter((o) => ['acked', 'nacked', 'timeout'].includes(o.status) && o.detail !== 'superseded');
        await observer.waitFor(() => Object.keys(devices).every((d) => finals().some((o) => o.deviceId === d)), 15000, `${profile} final outcomes`);
        for (const [deviceId, expected] of Object.entries(devices)) {
          const final = finals().filter((o) => o.deviceId === deviceId);
          assert.deepEqual(final.map((o) => o.status), [expected], `${profile}/${deviceId}: ${JSON.stringify(outcomes().filter((o) => o.deviceId === deviceId))}`);
        }
        assert.deepEqual(outcomes().filter((o) => o.status === 'refused'), [], 'the device answers are never taken for bad input');
      });
    }
  });
}

describe('e2e: actuator profiles against simulated devices (issue #15)', function () {
  this.timeout(120000);
  suite('aedes, MQTT 3.1.1', startAedes, '4');
  suite('mosquitto, MQTT 5', startMosquitto, '5');
});
