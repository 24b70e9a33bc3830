/**
 * The narrow slices of Node-RED's runtime API that the palette uses. Typed here rather than through
 * @types/node-red so the glue stays honest about what it touches (and tests can pass plain objects).
 */
export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export type NodeStatus = { fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey'; shape?: 'ring' | 'dot'; text?: string } | Record<string, never>;

export type SendFn = (msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFn = (err?: Error) => void;

export interface ContextStore {
  get(key: string, store?: string): unknown;
  get(key: string, store: string | undefined, callback: (err: Error | null, value: unknown) => void): void;
  set(key: string, value: unknown, store?: string): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err: Error | null) => void): void;
  /** Several keys at once (one write for stores that write a file per node). */
  get(keys: string[], store: string | undefined, callback: (err: Error | null, ...values: unknown[]) => void): void;
  set(keys: string[], values: unknown[], store: string | undefined, callback: (err: Error | null) => void): void;
  keys(store?: string): string[];
}

export interface Node {
  id: string;
  type: string;
  name?: string;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>): void;
  status(status: NodeStatus): void;
  log(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown, msg?: NodeMessage): void;
  debug(message: unknown): void;
  context(): { flow: ContextStore; global: ContextStore } & ContextStore;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface RED {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType(type: string, ctor: (this: Node, def: NodeDef) => void, opts?: object): void;
    getNode(id: string): unknown;
  };
  settings: { userDir?: string; [key: string]: unknown };
  _(key: string, substitutions?: Record<string, unknown>): string;
  util: { cloneMessage<T>(msg: T): T; [key: string]: unknown };
  log: { info(msg: unknown): void; warn(msg: unknown): void; error(msg: unknown): void };
  httpAdmin?: { get(path: string, ...handlers: unknown[]): void; post(path: string, ...handlers: unknown[]): void };
  auth?: { needsPermission(permission: string): unknown };
}
