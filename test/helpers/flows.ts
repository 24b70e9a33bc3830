/** Builders for the core MQTT nodes that e2e and browser flows wire around the palette's nodes. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TAB = 'tab1';

export function tab(label = 'Flow 1'): object {
  return { id: TAB, type: 'tab', label };
}

export function mqttBroker(port: number, options: { id?: string; protocolVersion?: '4' | '5'; clientid?: string; cleansession?: boolean } = {}): object {
  return {
    id: options.id ?? 'broker1',
    type: 'mqtt-broker',
    name: 'test broker',
    broker: '127.0.0.1',
    port: String(port),
    clientid: options.clientid ?? '',
    autoConnect: true,
    usetls: false,
    protocolVersion: options.protocolVersion ?? '4',
    keepalive: '60',
    cleansession: options.cleansession ?? true,
  };
}

export function mqttIn(id: string, topic: string, wires: string[] = [], options: { datatype?: string; x?: number; y?: number; broker?: string } = {}): object {
  return {
    id,
    type: 'mqtt in',
    z: TAB,
    name: topic,
    topic,
    qos: '1',
    datatype: options.datatype ?? 'json',
    broker: options.broker ?? 'broker1',
    nl: false,
    rap: true,
    rh: 0,
    inputs: 0,
    x: options.x ?? 150,
    y: options.y ?? 100,
    wires: [wires],
  };
}

/** An mqtt out; an empty topic publishes on each message's own msg.topic. */
export function mqttOut(id: string, topic: string, options: { x?: number; y?: number; broker?: string } = {}): object {
  return { id, type: 'mqtt out', z: TAB, name: topic || 'msg.topic', topic, qos: '1', retain: 'false', broker: options.broker ?? 'broker1', x: options.x ?? 650, y: options.y ?? 100, wires: [] };
}

/**
 * The sample flows shipped as Import › Examples (flows/*.json, the dashboards aside), in the order of the README's
 * table: the tests that walk every example take them from here, so a new sample is walked without a list to edit.
 */
export function sampleFlowNames(): string[] {
  const dir = path.join(__dirname, '..', '..', 'flows');
  const first = ['smart-home', 'smart-city', 'health', 'live-retrain'];
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  return [...first.filter((n) => names.includes(n)), ...names.filter((n) => !first.includes(n)).sort()];
}
