/**
 * Issue #20: one command-line dialect for every iot-ai subcommand (src/cli/args.ts, util.parseArgs underneath).
 * Before, `iot-ai window` had its own: `unexpected "--colour"` for an unknown option, and a repeated option
 * silently replaced the first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { windowExamples } from '../../src/cli/windowing';
import { parseFlags, UsageError } from '../../src/cli/args';
import { runSimulate } from '../../src/cli/simulate';
import { runTrain } from '../../src/cli/train';
import { runWindow } from '../../src/cli/windowing';

type Run = (argv: string[], io: { stdout: { write(t: string): unknown }; stderr: { write(t: string): unknown } }) => Promise<number>;

async function run(command: Run, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const code = await command(argv, { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } });
  return { code, ...out };
}

const COMMANDS: Array<[string, Run, string[]]> = [
  ['train', (argv, io) => runTrain(argv, io), ['--data', 'x.csv', '--label', 'y', '--out', 'm.json']],
  ['simulate', (argv, io) => runSimulate(argv, io), ['--scenario', 'home', '--csv', 'x.csv']],
  ['window', runWindow, ['--data', 'x.csv', '--window', 'w.json', '--out', 'f.csv']],
];

describe('iot-ai command lines: one dialect (#20)', () => {
  for (const [name, command, valid] of COMMANDS) {
    it(`${name}: the same words for the same mistakes, exit code 2 and a pointer to --help`, async () => {
      const last = valid[valid.length - 2];
      const cases: Array<[string[], string]> = [
        [[...valid, '--colour', 'red'], 'unknown option --colour'],
        [[...valid, last], `${last} needs a value`],
        [[last, valid[0], valid[1]], `${last} needs a value`],
        [[...valid, valid[0], valid[1]], `${valid[0]} is given twice`],
        [[...valid, 'stray'], 'unexpected argument "stray"'],
        [[...valid, '-x'], 'unexpected argument "-x"'],
      ];
      for (const [argv, message] of cases) {
        const result = await run(command, argv);
        assert.equal(result.code, 2, argv.join(' '));
        assert.equal(result.stderr, `iot-ai ${name}: ${message}\nRun "iot-ai ${name} --help" for usage.\n`, argv.join(' '));
      }
      for (const help of ['--help', '-h']) {
        const result = await run(command, [...valid, help]);
        assert.equal(result.code, 0);
        assert.match(result.stdout, new RegExp(`^Usage: iot-ai ${name} `));
      }
    });
  }

  it('parseFlags: --name value and --name=value, "-" is a value, switches take none, repeatable options keep every value', () => {
    const flags = parseFlags(['--csv', '-', '--seed=7', '--ignore', 'a, b', '--ignore=c', '--no-faults'], { values: ['csv', 'seed', 'ignore'], switches: ['no-faults'], repeatable: ['ignore'] });
    assert.ok(flags !== 'help');
    assert.equal(flags.get('csv'), '-');
    assert.equal(flags.get('seed'), '7');
    assert.deepEqual(flags.list('ignore'), ['a', 'b', 'c']);
    assert.ok(flags.switch('no-faults') && flags.has('no-faults') && !flags.has('broker'));
    assert.throws(() => parseFlags(['--no-faults=yes'], { values: [], switches: ['no-faults'] }), new UsageError('--no-faults takes no value'));
    const empty = parseFlags(['--out='], { values: ['out'] });
    assert.ok(empty !== 'help');
    assert.throws(() => empty.required('out'), new UsageError('--out is required'));
  });

  it('train --window and window read a WINDOW.json that is not JSON, or not there, with the same words', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'iot-ai-args-'));
    try {
      const data = path.join(dir, 'readings.csv');
      writeFileSync(data, 'deviceId,ts,temp,occupied\nd1,1000,20,1\n');
      const broken = path.join(dir, 'broken.json');
      writeFileSync(broken, '{"window": "tumbling",');
      for (const file of [broken, path.join(dir, 'none.json')]) {
        const trained = await run((argv, io) => runTrain(argv, io, { windowExamples }), ['--data', data, '--label', 'occupied', '--out', path.join(dir, 'm.json'), '--window', file]);
        const windowed = await run(runWindow, ['--data', data, '--window', file, '--out', path.join(dir, 'f.csv')]);
        assert.equal(trained.code, 1);
        assert.equal(windowed.code, 1);
        const words = (stderr: string, command: string) => stderr.replace(`iot-ai ${command}: `, '');
        assert.match(words(trained.stderr, 'train'), new RegExp(`^cannot read ${file.replace(/[.\\/]/g, '\\$&')}: `));
        assert.equal(words(trained.stderr, 'train'), words(windowed.stderr, 'window'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
