#!/usr/bin/env node
// One run of the time-zone matrix (scripts/test.js): mocha over the given test files in this process, whose TZ
// the parent set. Writes { passed, failed, skipped } to the stats file; the parent adds them to the summary.
//   node scripts/tz-child.js STATS_FILE [--grep TEXT] FILE...
'use strict';
const fs = require('fs');

const [statsFile, ...rest] = process.argv.slice(2);
const grepAt = rest.indexOf('--grep');
const grep = grepAt === -1 ? undefined : rest[grepAt + 1];
const files = rest.filter((_, i) => grepAt === -1 || (i !== grepAt && i !== grepAt + 1));

require('tsx/cjs');
const Mocha = require('mocha');
const mocha = new Mocha({ timeout: 120000, reporter: 'spec', color: process.stdout.isTTY, grep });
// The zone heads the report, so a failure says which zone it failed in.
mocha.suite.title = `TZ=${process.env.TZ}`;
files.forEach((f) => mocha.addFile(f));
const runner = mocha.run(() => {
  const { passes = 0, failures = 0, pending = 0 } = runner.stats || {};
  fs.writeFileSync(statsFile, JSON.stringify({ passed: passes, failed: failures, skipped: pending }) + '\n');
  process.exitCode = failures > 0 ? 1 : 0;
  setTimeout(() => process.exit(process.exitCode), 2000).unref();
});
