/**
 * 7. Start-up: how long Node-RED takes from spawn until its admin API answers `GET /settings`, with the palette
 * installed in the user directory and without it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, installPalette, PACKAGE_NAME, tempDir } from './lib/project';
import { figure, progress, runSection, Section, type BenchOptions } from './lib/report';
import { alternate, ratios, spread } from './lib/timing';

const RED_JS = require.resolve('node-red/red.js');
/** A start that takes this long is broken, not slow. */
const GIVE_UP_SECONDS = 120;

function userDirectory(withPalette: boolean): string {
  const dir = tempDir(withPalette ? 'with-palette' : 'without-palette');
  if (withPalette) installPalette(dir);
  const settings = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: 'bench',
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    editorTheme: { tours: false },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false },
  };
  fs.writeFileSync(path.join(dir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return dir;
}

/** Starts Node-RED on `userDir`, returns the seconds until GET /settings answered, then stops it (by its PID). */
async function startOnce(userDir: string, expectPalette: boolean): Promise<number> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [RED_JS, '-u', userDir, '-p', String(port)], { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    let seconds: number | undefined;
    while (seconds === undefined) {
      if (child.exitCode !== null) throw new Error(`Node-RED exited with ${child.exitCode}:\n${output.join('')}`);
      try {
        if ((await fetch(`${url}/settings`)).ok) seconds = Number(process.hrtime.bigint() - started) / 1e9;
      } catch {
        /* not listening yet */
      }
      if (seconds === undefined) {
        if (Number(process.hrtime.bigint() - started) / 1e9 > GIVE_UP_SECONDS) throw new Error(`Node-RED did not start:\n${output.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const modules = (await (await fetch(`${url}/nodes`, { headers: { accept: 'application/json' } })).json()) as Array<{ module: string; enabled: boolean; err?: string }>;
    const ours = modules.filter((set) => set.module === PACKAGE_NAME);
    if (expectPalette !== ours.length > 0) throw new Error(`the palette is ${ours.length > 0 ? '' : 'not '}loaded:\n${output.join('')}`);
    const broken = ours.filter((set) => set.err || !set.enabled);
    if (broken.length > 0) throw new Error(`palette nodes failed to load: ${JSON.stringify(broken)}`);
    return seconds;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

async function startupSection(options: BenchOptions): Promise<Section> {
  const rounds = options.quick ? 2 : 5;
  const section = new Section(
    'startup',
    '7. Start-up',
    [
      '`node node_modules/node-red/red.js -u <temporary user dir> -p <free port>` (settings: 127.0.0.1, no flows), timed from',
      'spawn until `GET /settings` answers; then stopped by its PID. With the palette linked into the user directory\'s',
      `node_modules (checked loaded through \`GET /nodes\`) and without it; ${rounds} alternating rounds${options.quick ? '' : ' after a warm-up start each'}.`,
    ].join('\n'),
  );
  const withPalette = userDirectory(true);
  const without = userDirectory(false);
  progress(`starting Node-RED ${rounds}${options.quick ? '' : ' + 1'} times with the palette and ${rounds}${options.quick ? '' : ' + 1'} without`);
  const times = await alternate(
    [
      { name: 'with', measure: () => startOnce(withPalette, true) },
      { name: 'without', measure: () => startOnce(without, false) },
    ],
    { rounds, warmUp: options.quick ? 0 : 1 },
  );
  const cost = ratios(times.with, times.without);
  const added = spread(times.with.map((value, i) => value - times.without[i]));
  section.row('Node-RED start-up with the palette (ratio: with ÷ without)', figure(spread(times.with), 'seconds'), figure(spread(times.without), 'seconds'), figure(cost, 'ratio'));
  section.row('time the palette adds to start-up (with − without, round by round)', figure(added, 'seconds'));
  return section;
}

if (require.main === module) runSection(startupSection);
