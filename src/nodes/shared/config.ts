import type { ConfigResult } from '../../core/util/config';
import { shorten } from './messages';
import type { Node } from './red';

/**
 * The one way a node meets its config, as its core reader returned it. A refused config is said once in the log
 * (`<title>: <error>`, title the node's own `errors.config` words), shown as a red ring, and every message is
 * then refused with it (done(err): a Catch node sees it). A config the reader corrected is used, each
 * correction logged as a warning. Returns the config, or undefined when refused: the node then wires nothing
 * else and returns.
 */
export function readNodeConfig<T>(node: Pick<Node, 'error' | 'warn' | 'status' | 'on'>, parsed: ConfigResult<T>, title: string): T | undefined {
  if (parsed.ok) {
    for (const warning of parsed.warnings ?? []) node.warn(warning);
    return parsed.config;
  }
  const message = `${title}: ${parsed.error}`;
  node.error(message);
  node.status({ fill: 'red', shape: 'ring', text: shorten(parsed.error) });
  // The status keeps the reader's own words (set above); each message is refused with the whole message.
  node.on('input', (_msg, _send, done) => done(new Error(message)));
  node.on('close', (_removed, done) => done());
  return undefined;
}
