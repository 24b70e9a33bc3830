#!/usr/bin/env node
// `npm run bench`: builds if dist/ is missing or stale, runs every bench section in its own process
// (node --expose-gc -r tsx/cjs bench/<module>.ts), prints each section's table and a final table of goals, and
// writes docs/benchmarks.md with the machine the figures came from.
//   --quick          smaller workloads and fewer rounds (under a minute); prints only, unless --write
//   --only a,b       run some modules: pipeline, batch, window, forest, bins, explain, forecast-real, anomaly, streaming, memory, startup, learning-people, scale-out; prints only, unless --write
//   --write          write docs/benchmarks.md even for a quick or partial run
// Benchmarks are never tests: a goal not met is reported, not failed. The exit code is 1 only when a section
// could not run.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const MODULES = ['pipeline', 'batch', 'window', 'forest', 'bins', 'explain', 'imported', 'forecast-real', 'anomaly', 'streaming', 'memory', 'startup', 'learning-people', 'scale-out'];
const DOC = path.join(root, 'docs', 'benchmarks.md');

function parseArgs(argv) {
  const options = { quick: argv.includes('--quick'), write: argv.includes('--write'), only: MODULES };
  const at = argv.indexOf('--only');
  if (at >= 0) {
    options.only = String(argv[at + 1] || '').split(',').filter(Boolean);
    const unknown = options.only.filter((name) => !MODULES.includes(name));
    if (unknown.length > 0 || options.only.length === 0) {
      console.error(`bench: --only takes a comma-separated list of ${MODULES.join(', ')}`);
      process.exit(2);
    }
  }
  return options;
}

/** Newest (or oldest) modification time of the files under `dir`; undefined when there are none. */
function mtimes(dir, pick) {
  if (!fs.existsSync(dir)) return undefined;
  const stat = fs.statSync(dir);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let found;
  for (const entry of fs.readdirSync(dir)) {
    const time = mtimes(path.join(dir, entry), pick);
    if (time !== undefined) found = found === undefined ? time : pick(found, time);
  }
  return found;
}

/** dist/ and nodes/ are stale when a source of the build is newer than the oldest file the build wrote. */
function buildIfStale() {
  const built = ['dist', 'nodes'].map((dir) => mtimes(path.join(root, dir), Math.min));
  const sources = ['src', 'flows', 'package.json', path.join('scripts', 'build.js')].map((p) => mtimes(path.join(root, p), Math.max));
  const newestSource = Math.max(...sources.filter((t) => t !== undefined));
  if (built.every((t) => t !== undefined && t >= newestSource)) return;
  console.log('bench: dist/ is missing or older than src/: building');
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('bench: the build failed');
    process.exit(1);
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    nodeRed: require('node-red/package.json').version,
    load: os.loadavg().map((l) => l.toFixed(2)).join(', '),
  };
}

/** Runs one bench module in its own process; returns its sections' results, or an error. */
function runModule(name, options, scratch) {
  const resultFile = path.join(scratch, `${name}.json`);
  const args = ['--expose-gc', '-r', 'tsx/cjs', path.join('bench', `${name}.ts`), '--result', resultFile];
  if (options.quick) args.push('--quick');
  const started = Date.now();
  const child = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const seconds = (Date.now() - started) / 1000;
  if (child.status !== 0 || !fs.existsSync(resultFile)) return { name, seconds, error: `exited with ${child.status ?? child.signal}` };
  return { name, seconds, sections: JSON.parse(fs.readFileSync(resultFile, 'utf8')) };
}

function verdict(goal) {
  return goal.met === null ? 'not measured' : goal.met ? 'met' : 'NOT MET';
}

function textTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function markdownTable(rows) {
  const escape = (cell) => String(cell).replace(/\|/g, '\\|');
  return [`| ${rows[0].map(escape).join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`, ...rows.slice(1).map((row) => `| ${row.map(escape).join(' | ')} |`)].join('\n');
}

function goalRows(results) {
  const rows = [];
  for (const result of results) for (const section of result.sections || []) for (const goal of section.goals) rows.push([section.title.replace(/ \(.*\)$/, ''), goal.name, goal.target, goal.actual, verdict(goal)]);
  return rows;
}

function writeDoc(results, info, options, totalSeconds) {
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '# Benchmarks',
    '',
    `Figures from \`npm run bench${options.quick ? ' -- --quick' : ''}\` on ${date}, ${(totalSeconds / 60).toFixed(1)} minutes in all. This file is written by`,
    '`bench/run.js`; do not edit it by hand.',
    '',
    '## The machine',
    '',
    markdownTable([
      ['CPU', 'cores', 'memory', 'OS', 'Node.js', 'Node-RED', 'load average at start (1, 5, 15 min)'],
      [info.cpu, String(info.cores), info.memory, info.os, info.node, info.nodeRed, info.load],
    ]),
    '',
    'The machine is shared with other work, so its figures move from run to run; that is why every figure here is',
    'set against a baseline measured in the same run.',
    '',
    '## How to reproduce',
    '',
    '```sh',
    'npm ci',
    'npm run bench                  # everything, under 10 minutes on 2 cores; rewrites docs/benchmarks.md',
    'npm run bench -- --quick       # smaller workloads, under a minute; prints only',
    'npm run bench -- --only forest # some modules: pipeline, batch, window, forest, bins, explain, forecast-real, anomaly, streaming, memory, startup, learning-people',
    '```',
    '',
    '`bench/run.js` builds first when `dist/` is missing or older than `src/`, then runs each module of `bench/` in its own',
    'process (`node --expose-gc -r tsx/cjs bench/<module>.ts`). The scikit-learn comparisons need Debian\'s',
    '`python3-sklearn` (`apt-get install -y python3-sklearn`); without it that row says so and the rest runs.',
    '',
    '**Method.** The variants of a comparison run in alternating rounds (A B, then B A, ...) after a warm-up run of each;',
    'a figure is the median over the rounds with the minimum and maximum in brackets, and a ratio is the median of the',
    'rounds\' ratios (each round\'s A against the B that ran beside it). Benchmarks never fail on a figure: a goal that is',
    'not met is reported here.',
    '',
    '## Goals',
    '',
    markdownTable([['section', 'goal', 'target', 'measured', ''], ...goalRows(results)]),
    '',
  ];
  for (const result of results) {
    if (result.error) {
      lines.push(`## ${result.name}`, '', `Not measured: the module ${result.error}.`, '');
      continue;
    }
    for (const section of result.sections) {
      lines.push(`## ${section.title}`, '', section.description, '');
      lines.push(markdownTable([['measurement', 'ours', 'baseline', 'ours vs baseline'], ...section.rows.map((r) => [r.measurement, r.ours, r.baseline, r.ratio])]), '');
      for (const note of section.notes) lines.push(`Note: ${note}`, '');
    }
  }
  fs.mkdirSync(path.dirname(DOC), { recursive: true });
  fs.writeFileSync(DOC, lines.join('\n'));
  console.log(`\nbench: wrote ${path.relative(root, DOC)}`);
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  buildIfStale();
  const info = machine();
  console.log(`bench: ${options.quick ? 'quick' : 'full'} run on ${info.cpu}, ${info.cores} cores, Node ${info.node}, Node-RED ${info.nodeRed}, load ${info.load}`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-bench-results-'));
  const started = Date.now();
  const results = [];
  try {
    for (const name of options.only) {
      console.log(`\n=== bench/${name}.ts ===`);
      results.push(runModule(name, options, scratch));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const totalSeconds = (Date.now() - started) / 1000;

  console.log('\n=== goals ===\n');
  console.log(textTable([['section', 'goal', 'target', 'measured', ''], ...goalRows(results)]));
  const failed = results.filter((r) => r.error);
  for (const result of failed) console.log(`\nbench/${result.name}.ts could not run: ${result.error}`);
  console.log(`\nbench: ${results.map((r) => `${r.name} ${r.seconds.toFixed(0)} s`).join(', ')}; ${totalSeconds.toFixed(0)} s in all`);

  const complete = options.only.length === MODULES.length && !options.quick && failed.length === 0;
  if (complete || options.write) writeDoc(results, info, options, totalSeconds);
  else console.log(`bench: ${path.relative(root, DOC)} not written (a quick, partial or failed run; --write forces it)`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main();
