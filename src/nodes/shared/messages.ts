import type { DataError } from '../../core/types';
import type { Node, NodeMessage, DoneFn } from './red';

/** A message for output 2: the input untouched but for `msg.error` (CONTRACT.md, Errors). */
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
