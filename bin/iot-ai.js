#!/usr/bin/env node
'use strict';
require('../dist/cli/main.js')
  .main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`iot-ai: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  });
