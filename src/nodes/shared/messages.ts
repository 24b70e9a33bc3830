import type { DataError } from '../../core/types';
import type { Node, NodeMessage, DoneFn, SendFn } from './red';

/** A message for output 2: the input untouched but for `msg.error` (README.md, Nodes: bad data is traffic). */
export function rejectMessage(msg: NodeMessage, error: DataError): NodeMessage {
  const out: NodeMessage = { ...msg, error: error.path === undefined ? { code: error.code, message: error.message } : { ...error } };
  return out;
}

/**
 * A fault of the node itself: Catch nodes see it through done(err), and the status shows it.
 * Use for misconfiguration and broken models, never for bad data.
 */
export function nodeFault(node: Pick<Node, 'status'>, done: DoneFn, error: Error | string): void {
  const err = typeof error === 'string' ? new Error(error) : error;
  node.status({ fill: 'red', shape: 'ring', text: shorten(err.message) });
  done(err);
}

export function shorten(text: string, max = 60): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/**
 * Sends messages that a node built fresh from one input on output `port` of a two-output node, one send() call
 * each. Node-RED deep-copies every message after the first of a single send() call so that no two messages
 * share an object; messages made fresh here need no copy, only what they share with `source` (an object-valued
 * property beside the payload, such as MQTT v5 `userProperties`) does, and then they are copied as the runtime
 * would copy them.
 */
export function sendEach(send: SendFn, port: 0 | 1, messages: readonly NodeMessage[], source: NodeMessage, clone: <T>(msg: T) => T): void {
  const copy = messages.length > 1 && sharesObjects(source);
  for (let i = 0; i < messages.length; i++) {
    const msg = i > 0 && copy ? clone(messages[i]) : messages[i];
    send(port === 0 ? [msg, null] : [null, msg]);
  }
}

/** Whether a message holds an object (other than its payload) that messages spread from it would share. */
export function sharesObjects(msg: NodeMessage): boolean {
  for (const key in msg) {
    if (key === 'payload') continue;
    const value = msg[key];
    if (typeof value === 'object' && value !== null) return true;
  }
  return false;
}

/**
 * The `batch` output of a pipeline node (issue 19): what one input produced as one message, `payload` the array of
 * the payloads (readings, windows or outcomes) in order, `topic` the deviceId they all share or else the input's.
 */
export function batchMessage(source: NodeMessage, payloads: ReadonlyArray<{ deviceId?: unknown }>): NodeMessage {
  const first = payloads.length > 0 ? payloads[0].deviceId : undefined;
  let shared = typeof first === 'string' && first !== '';
  for (let i = 1; shared && i < payloads.length; i++) shared = payloads[i].deviceId === first;
  return { ...source, topic: shared ? (first as string) : source.topic, payload: payloads };
}
