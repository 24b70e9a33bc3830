/**
 * node-red-node-test-helper, bound to the Node-RED under test: the project's own (4.1.x) by default, or the
 * one named by NODE_RED_PATH (CI's Node 22 + Node-RED 5.x pass).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import helper = require('node-red-node-test-helper');

const runtimePath = process.env.NODE_RED_PATH ? require.resolve(path.resolve(process.env.NODE_RED_PATH)) : require.resolve('node-red');
helper.init(runtimePath);

export { helper };

/** A core node of the Node-RED under test (`common/20-inject.js`, `function/10-switch.js`, …), for helper.load. */
export function coreNode(file: string): unknown {
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [runtimePath] }));
}

/**
 * Each test of the calling suite in a runtime of its own with a fresh user directory (`prefix` names it in the
 * temp folder), unloaded, stopped and removed after it; returns a getter for the directory.
 */
export function withUserDir(prefix: string): () => string {
  let dir = '';
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

export interface HelperNode {
  id: string;
  on(event: 'input', handler: (msg: Record<string, any>) => void): void;
  receive(msg: Record<string, unknown>): void;
  status: { (s: object): void; getCalls?: () => Array<{ args: any[] }> } & Record<string, any>;
  [key: string]: any;
}

export function getNode(id: string): HelperNode {
  const node = helper.getNode(id) as HelperNode | null;
  if (!node) throw new Error(`node ${id} is not in the flow`);
  return node;
}

/** Collects what arrives at helper nodes, so a test can wait for a number of messages. */
export function collect(id: string): { messages: Array<Record<string, any>>; next(count?: number, timeoutMs?: number): Promise<Array<Record<string, any>>> } {
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  getNode(id).on('input', (msg) => {
    messages.push(msg);
    waiters.splice(0).forEach((w) => w());
  });
  return {
    messages,
    next(count = 1, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`node ${id}: expected ${count} message(s), got ${messages.length}`)), timeoutMs);
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve(messages.slice(0, count));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Waits a few event-loop turns so that nothing more arrives (used to prove a message was NOT sent). */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The status a node shows last (the helper spies on Node.prototype.status: the calls of every node, so this one's). */
export function lastStatus(node: HelperNode): Record<string, any> | undefined {
  const calls = ((node.status as any).getCalls?.() ?? []).filter((call: { thisValue?: unknown }) => call.thisValue === undefined || call.thisValue === node);
  return calls.length ? calls[calls.length - 1].args[0] : undefined;
}

/** Waits (up to 5 s) until node `id`'s last status text matches `pattern`; the text it ends with. */
export async function statusMatching(pattern: RegExp, id = 'n1'): Promise<string> {
  const node = getNode(id);
  for (let i = 0; i < 250 && !pattern.test(lastStatus(node)?.text ?? ''); i++) await settle(20);
  return lastStatus(node)?.text ?? '';
}

/** Waits (up to 5 s) until ml-model config `id`'s load error matches `pattern`; the error it ends with. */
export async function modelError(pattern: RegExp, id = 'cfg'): Promise<string> {
  const config = getNode(id);
  for (let i = 0; i < 250 && !pattern.test(config.state().error ?? ''); i++) await settle(20);
  return config.state().error ?? '';
}

/**
 * The standard harness: the node under test `n1` wired to helper nodes `out1` and `out2`, with a Catch node
 * (to `caught`) and a Complete node (to `completed`) scoped to it, proving done() and done(err).
 */
export function harness(type: string, props: Record<string, unknown>, outputs = 2, extra: object[] = []): object[] {
  const wires = Array.from({ length: outputs }, (_, i) => [`out${i + 1}`]);
  // Catch and Complete nodes only see nodes of their own flow (tab), so everything sits on tab f1.
  const nodes: Array<Record<string, unknown>> = [
    { id: 'n1', type, name: 'under test', ...props, wires },
    ...Array.from({ length: outputs }, (_, i) => ({ id: `out${i + 1}`, type: 'helper' })),
    { id: 'catch', type: 'catch', scope: ['n1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
    { id: 'complete', type: 'complete', scope: ['n1'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    ...(extra as Array<Record<string, unknown>>),
  ];
  // x and y make them flow nodes rather than config nodes.
  return [{ id: 'f1', type: 'tab', label: 'test' }, ...nodes.map((n) => ({ z: 'f1', x: 100, y: 100, ...n }))];
}
