#!/usr/bin/env node
// Writes bench/data/real-streams.json.gz, the labelled real streams of the anomaly benchmark, from a local clone of
// https://github.com/imperial-qore/TranAD (BSD-3-Clause), which carries two public data sets as published:
//   - NASA SMAP and MSL telemetry (Hundman et al., KDD 2018; data of github.com/khundman/telemanom): the test
//     series of each channel, its first column (the telemetry value; the others are command flags), with the
//     labelled anomaly sequences of labeled_anomalies.csv;
//   - the UCR anomaly archive's four InternalBleeding series (Keogh et al., KDD Cup 2021): one anomaly each, its
//     start and end in the file name.
// Usage: node bench/data/extract.js /path/to/TranAD   (a git directory or a work tree)
// Values are kept to 6 significant digits; the file is a few hundred kB gzip-compressed.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const source = process.argv[2];
if (!source) {
  console.error('usage: node bench/data/extract.js /path/to/TranAD');
  process.exit(2);
}
const read = (file) => {
  const direct = path.join(source, file);
  if (fs.existsSync(direct)) return fs.readFileSync(direct);
  return execFileSync('git', ['--git-dir', source, 'show', `HEAD:${file}`], { maxBuffer: 1 << 28 });
};
const listUcr = () => {
  const dir = path.join(source, 'data', 'UCR');
  if (fs.existsSync(dir)) return fs.readdirSync(dir);
  return execFileSync('git', ['--git-dir', source, 'ls-tree', '--name-only', 'HEAD', 'data/UCR/'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((p) => path.basename(p));
};

/** Column 0 of a 2-D little-endian float64 .npy array (C order). */
function npyFirstColumn(buffer) {
  const headerLength = buffer.readUInt16LE(8);
  const header = buffer.toString('latin1', 10, 10 + headerLength);
  if (!/'descr': '<f8'/.test(header) || /'fortran_order': True/.test(header)) throw new Error(`unexpected npy header ${header}`);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  const [rows, cols] = [Number(shape[1]), Number(shape[2])];
  const data = buffer.subarray(10 + headerLength);
  return Array.from({ length: rows }, (_, r) => data.readDoubleLE(8 * r * cols));
}

const round = (x) => Number(x.toPrecision(6));
const streams = [];
const csv = read('data/SMAP_MSL/labeled_anomalies.csv').toString('utf8').trim().split('\n').slice(1);
for (const line of csv) {
  const m = /^([^,]+),([^,]+),"(\[.*\])",("\[.*\]"|\[.*\]),(\d+)$/.exec(line.trim());
  if (!m) throw new Error(`cannot read ${line}`);
  const [, channel, spacecraft, sequences] = m;
  let values;
  try {
    values = npyFirstColumn(read(`data/SMAP_MSL/test/${channel}.npy`));
  } catch (err) {
    console.warn(`skipping ${channel}: ${err.message.split('\n')[0]}`);
    continue;
  }
  const anomalies = JSON.parse(sequences).sort((a, b) => a[0] - b[0]);
  streams.push({ name: `${spacecraft}/${channel}`, source: 'nasa', values: values.map(round), anomalies });
}
for (const file of listUcr().filter((f) => f.endsWith('.txt')).sort()) {
  const m = /^(\d+)_UCR_Anomaly_(.+)_(\d+)_(\d+)_(\d+)\.txt$/.exec(file);
  if (!m) continue;
  const values = read(`data/UCR/${file}`).toString('utf8').trim().split(/\s+/).map(Number);
  // The archive numbers from 1 and its end is inclusive.
  streams.push({ name: `UCR/${m[2]}`, source: 'ucr', values: values.map(round), anomalies: [[Number(m[4]) - 1, Number(m[5]) - 1]] });
}
const out = path.join(__dirname, 'real-streams.json.gz');
fs.writeFileSync(out, zlib.gzipSync(JSON.stringify({ streams }), { level: 9 }));
console.log(`${streams.length} streams, ${streams.reduce((n, s) => n + s.values.length, 0)} values → ${path.relative(process.cwd(), out)} (${fs.statSync(out).size} bytes)`);
