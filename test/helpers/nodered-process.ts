/**
 * A real Node-RED process for the e2e and browser tiers: a temporary user directory with the packed palette
 * installed as users install it, a free loopback port, flows deployed through the admin API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The Node-RED under test: the project's own, or NODE_RED_PATH's (CI's Node 22 + Node-RED 5 pass). */
export function nodeRedDir(): string {
  return process.env.NODE_RED_PATH ? path.resolve(process.env.NODE_RED_PATH) : path.dirname(require.resolve('node-red/package.json'));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let template: string | undefined;
/** Installs the packed tarball once per run into a template user directory; each instance copies it. */
function paletteTemplate(): string {
  if (template) return template;
  const tarball = process.env.IOT_AI_TARBALL;
  if (!tarball || !fs.existsSync(tarball)) {
    throw new Error('IOT_AI_TARBALL is not set: run the e2e tier through `npm test` (it builds and packs first)');
  }
  const dir = path.join(root, '.scratch', 'e2e-template');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, version: '0.0.1' }));
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--prefer-offline', '--loglevel=error', tarball], { cwd: dir, encoding: 'utf8' });
  if (npm.status !== 0) throw new Error(`npm install of the tarball failed: ${npm.stderr}`);
  template = dir;
  return dir;
}

export interface NodeRedOptions {
  /** Extra settings.js properties (JSON-serialisable). */
  settings?: Record<string, unknown>;
  /** Flows to start with (written to flows.json before start). */
  flows?: object[];
  /** Reuse a user directory (restart tests). */
  userDir?: string;
  /** Skip installing the palette (start-up baselines). */
  withoutPalette?: boolean;
  /** Runs on the user directory before Node-RED starts (e.g. links another node module into it). */
  prepare?: (userDir: string) => void;
  /** false: return once the process runs, without waiting for its flows (a standby that waits for a shard). */
  waitForFlows?: boolean;
}

export class NodeRedProcess {
  readonly logs: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  private constructor(
    readonly userDir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(options: NodeRedOptions = {}): Promise<NodeRedProcess> {
    const userDir = options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-e2e-'));
    if (!options.userDir && !options.withoutPalette) {
      fs.cpSync(paletteTemplate(), userDir, { recursive: true });
    }
    const instance = new NodeRedProcess(userDir, await freePort());
    const settings = {
      uiHost: '127.0.0.1',
      flowFile: 'flows.json',
      credentialSecret: 'e2e-secret',
      logging: { console: { level: 'info', metrics: false, audit: false } },
      editorTheme: { tours: false, palette: { editable: false } },
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false },
      contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { flushInterval: 1 } } },
      ...options.settings,
    };
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
    if (options.flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows));
    options.prepare?.(userDir);
    await instance.spawn(options.waitForFlows ?? true);
    return instance;
  }

  private async spawn(wait = true): Promise<void> {
    const redJs = path.join(nodeRedDir(), 'red.js');
    const child = spawn(process.execPath, [redJs, '-u', this.userDir, '-s', path.join(this.userDir, 'settings.js'), '-p', String(this.port)], {
      cwd: this.userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    const onData = (chunk: Buffer) => this.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    if (wait) await this.started();
  }

  /** Waits until the flows have started and the admin API answers. */
  async started(timeoutMs = 60000): Promise<void> {
    const child = this.child!;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Node-RED exited with ${child.exitCode}:\n${this.logs.join('\n')}`);
      // "Server now running" comes before the flows start (and with them their http-in endpoints): wait for
      // "Started flows", which Node-RED logs with no flows too.
      if (this.logs.some((line) => /Started flows/.test(line))) {
        try {
          const res = await fetch(`${this.url}/settings`);
          // With adminAuth on, an anonymous /settings is refused (401): the admin API is up all the same.
          if (res.ok || res.status === 401) return;
        } catch {
          /* not listening yet */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Node-RED did not start within ${timeoutMs / 1000} s:\n${this.logs.join('\n')}`);
  }

  /** Deploys flows as the editor does (full deployment) and waits for them to start. */
  async deploy(flows: object[]): Promise<void> {
    const before = this.logs.length;
    const res = await fetch(`${this.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
      body: JSON.stringify(flows),
    });
    if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
    const deadline = Date.now() + 20000;
    while (!this.logs.slice(before).some((line) => /Started flows/.test(line))) {
      if (Date.now() > deadline) throw new Error(`flows did not start:\n${this.logs.slice(before).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async get(pathname: string): Promise<any> {
    const res = await fetch(`${this.url}${pathname}`, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET ${pathname}: ${res.status}`);
    return res.json();
  }

  /** Log lines at error level (Node-RED prints "[error]"). */
  errors(): string[] {
    return this.logs.filter((line) => /\[error\]/.test(line));
  }

  /** Stops the process we started, by its PID: SIGINT (clean) or SIGKILL (`kill -9`). */
  async stop(signal: 'SIGINT' | 'SIGKILL' = 'SIGINT'): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill(signal);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10000));
    await Promise.race([this.exited, timeout]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Stops and starts again on the same user directory and port. */
  async restart(signal: 'SIGINT' | 'SIGKILL' = 'SIGINT'): Promise<void> {
    await this.stop(signal);
    this.logs.length = 0;
    await this.spawn();
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}
