/** Where things are, and the palette installed into a Node-RED user directory the way `npm start` does it. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = '@iot-ai/node-red-iot-ai';

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `iot-ai-bench-${prefix}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Links the project (its built nodes/ and dist/) into `<userDir>/node_modules`, where Node-RED scans for nodes. */
export function installPalette(userDir: string): void {
  const link = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(ROOT, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', private: true, version: '0.0.1', dependencies: { [PACKAGE_NAME]: 'file:' + ROOT } }, null, 2),
  );
}

/** A port free on the loopback interface now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ProcessResult {
  seconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; `seconds` is the whole process, spawn to exit. */
export function runProcess(command: string, args: readonly string[], cwd = ROOT, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(env !== undefined ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, code, stdout, stderr }));
  });
}

/** The python3 that can import sklearn: PATH's first, then Debian's own. */
export async function findScikitLearn(): Promise<{ python: string; version: string } | undefined> {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      const probe = await runProcess(python, ['-c', 'import sklearn; print(sklearn.__version__)']);
      if (probe.code === 0) return { python, version: probe.stdout.trim() };
    } catch {
      /* no such interpreter */
    }
  }
  return undefined;
}
