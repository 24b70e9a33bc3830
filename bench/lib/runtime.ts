/**
 * The one embedded-runtime helper: a real Node-RED runtime inside the bench process (RED.init/RED.start with a
 * temporary user directory, logging off, the palette linked in, the bench's driver and sink node types from
 * bench/nodered), flows deployed through the runtime API. Its HTTP server never listens.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { installPalette, tempDir } from './project';

export interface BenchMessage {
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

interface Hub {
  drivers: Map<string, { send(msg: BenchMessage): void }>;
  sinks: Map<string, (msg: BenchMessage) => void>;
}
const hub = require('../nodered/hub.js') as Hub;

interface NodeRed {
  init(server: http.Server, settings: object): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  events: { on(event: string, listener: (event: { id: string }) => void): void; off(event: string, listener: (event: { id: string }) => void): void };
  nodes: { getNode(id: string): unknown };
  runtime: { flows: { setFlows(options: object): Promise<unknown> } };
}

export class EmbeddedNodeRed {
  private constructor(
    private readonly red: NodeRed,
    readonly userDir: string,
  ) {}

  static async start(options: { palette: boolean }): Promise<EmbeddedNodeRed> {
    const userDir = tempDir('runtime');
    if (options.palette) installPalette(userDir);
    const red = require('node-red') as NodeRed;
    red.init(http.createServer(), {
      userDir,
      flowFile: 'flows.json',
      credentialSecret: 'bench',
      nodesDir: [path.resolve(__dirname, '..', 'nodered')],
      uiHost: '127.0.0.1',
      // BENCH_NODE_RED_LOG=warn (or info, debug) shows the runtime's log when a flow misbehaves.
      logging: { console: { level: process.env.BENCH_NODE_RED_LOG ?? 'off', metrics: false, audit: false } },
      editorTheme: { tours: false },
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false },
      contextStorage: { default: { module: 'memory' } },
    });
    await red.start();
    return new EmbeddedNodeRed(red, userDir);
  }

  /** A full deployment; resolves once the flows have started and `ready()` (polled) holds. */
  async deploy(flows: object[], ready: () => boolean = () => true): Promise<void> {
    const started = new Promise<void>((resolve) => {
      const listener = (event: { id: string }) => {
        if (event.id !== 'runtime-deploy') return;
        this.red.events.off('runtime-event', listener);
        resolve();
      };
      this.red.events.on('runtime-event', listener);
    });
    await this.red.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
    await started;
    const deadline = Date.now() + 30_000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error('the deployed flow did not get ready within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  node<T>(id: string): T | null {
    return this.red.nodes.getNode(id) as T | null;
  }

  /** The `send` of a deployed bench-driver node. */
  driver(id: string): (msg: BenchMessage) => void {
    const driver = hub.drivers.get(id);
    if (!driver) throw new Error(`no bench-driver ${id} is deployed`);
    return (msg) => driver.send(msg);
  }

  /** Calls `listener` with every message that reaches the bench-sink `id` (until `listener` is replaced). */
  onArrival(id: string, listener: (msg: BenchMessage) => void): void {
    hub.sinks.set(id, listener);
  }

  async stop(): Promise<void> {
    await this.red.stop();
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/** Sends `total` messages as fast as the runtime takes them: `batch` at a time, then a turn of the event loop. */
export function driveFlat(send: (index: number) => void, total: number, batch: number): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const step = () => {
      const end = Math.min(next + batch, total);
      while (next < end) send(next++);
      if (next < total) setImmediate(step);
      else resolve();
    };
    step();
  });
}

/**
 * Sends `total` messages at `perSecond`, message i due at `startedAt + i / perSecond` (seconds on `now()`'s
 * clock): on every turn of the event loop, everything due so far goes out.
 */
export function drivePaced(send: (index: number) => void, total: number, perSecond: number, startedAt: number): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const step = () => {
      const due = Math.min(total, Math.floor((now() - startedAt) * perSecond) + 1);
      while (next < due) send(next++);
      if (next < total) setImmediate(step);
      else resolve();
    };
    step();
  });
}

/** Monotonic seconds. */
export function now(): number {
  return performance.now() / 1000;
}
