import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CSV_DEFAULT_START, runSimulate } from '../../src/cli/simulate';
import { parseCsv } from '../../src/core/model/data/csv';
import { createScenario } from '../../src/core/sim';
import { mqttClient, startAedes, startMosquitto, type Broker } from '../helpers/broker';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function simulate(argv: string[], options: Parameters<typeof runSimulate>[2] = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runSimulate(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } }, options);
  return { code, stdout, stderr };
}

describe('iot-ai simulate --csv', function () {
  this.timeout(60_000);
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'iot-ai-simulate-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes readings in wide form with truth.* columns, one row per device per interval, deterministic for a seed', async () => {
    const file = path.join(directory, 'home.csv');
    const result = await simulate(['--scenario', 'home', '--csv', file, '--devices', '5', '--duration', '21600', '--seed', '4']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Wrote \d+ rows of 5 home device\(s\).*21600 s of simulated time from 2024-06-03T00:00:00.000Z, every 5000 ms/);
    const text = await readFile(file, 'utf8');
    const parsed = parseCsv(text);
    assert.ok(parsed.ok);
    const { header, rows } = parsed.table;
    assert.deepEqual(header, ['deviceId', 'ts', 'temperature', 'humidity', 'light', 'co2', 'motion', 'truth.occupancy', 'truth.occupants']);

    const slots = 5 * (21600 / 5);
    const skipped = Number(/(\d+) broken payload/.exec(result.stdout)?.[1] ?? 0);
    assert.ok(skipped > 0, 'broken payloads happen in six hours of five rooms');
    assert.equal(rows.length + skipped, slots, 'a row per device per interval, broken payloads left out');
    for (const row of rows) {
      assert.ok(['living-1', 'kitchen-1', 'bedroom-1', 'office-1', 'bath-1'].includes(row[0]));
      const ts = Number(row[1]);
      assert.ok(ts >= CSV_DEFAULT_START && ts < CSV_DEFAULT_START + 21600 * 1000);
      assert.ok(['0', '1', ''].includes(row[6]), `motion ${row[6]}`);
      assert.ok(['occupied', 'empty'].includes(row[7]));
    }
    for (let i = 1; i < rows.length; i++) assert.ok(Number(rows[i - 1][1]) <= Number(rows[i][1]), 'in time order');
    const blanks = rows.filter((row) => row.slice(2, 7).some((cell) => cell === ''));
    assert.ok(blanks.length > 0, 'dropouts are left empty');
    assert.ok(rows.filter((row) => row.slice(2, 7).every((cell) => cell === '')).length > 0, 'an offline device leaves a whole row empty');

    const again = path.join(directory, 'again.csv');
    await simulate(['--scenario', 'home', '--csv', again, '--devices', '5', '--duration', '21600', '--seed', '4']);
    assert.equal(await readFile(again, 'utf8'), text);
    const other = path.join(directory, 'other.csv');
    await simulate(['--scenario', 'home', '--csv', other, '--devices', '5', '--duration', '21600', '--seed', '5']);
    assert.notEqual(await readFile(other, 'utf8'), text);
  });

  it('holds the same values the simulator sends, and honours --start, --interval and --no-faults', async () => {
    const file = path.join(directory, 'city.csv');
    const result = await simulate(['--scenario', 'city', '--csv', file, '--devices', '2', '--duration', '3600', '--interval', '10000', '--start', '2024-06-05T07:00:00Z', '--no-faults']);
    assert.equal(result.code, 0, result.stderr);
    const parsed = parseCsv(await readFile(file, 'utf8'));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.table.header, ['deviceId', 'ts', 'vehicles', 'speed', 'pm25', 'no2', 'truth.congestion', 'truth.airQuality']);
    const start = Date.UTC(2024, 5, 5, 7);
    const sim = createScenario('city', { devices: 2, seed: 1, interval: 10000, startTime: start, faults: false });
    const readings = sim.advanceTo(start + 3600 * 1000 - 1);
    assert.equal(parsed.table.rows.length, readings.length);
    parsed.table.rows.forEach((row, i) => {
      const reading = readings[i];
      assert.deepEqual(row, [
        reading.deviceId,
        String(reading.ts),
        ...['vehicles', 'speed', 'pm25', 'no2'].map((s) => (reading.values[s] === null ? '' : String(reading.values[s]))),
        String(reading.truth.congestion),
        String(reading.truth.airQuality),
      ]);
    });
    assert.ok(parsed.table.rows.some((row) => row[6] === 'heavy'), 'seven in the morning is rush hour');
  });

  it('writes to stdout with --csv - and says what it did on stderr', async () => {
    const result = await simulate(['--scenario', 'health', '--csv', '-', '--duration', '60', '--devices', '1']);
    assert.equal(result.code, 0);
    const parsed = parseCsv(result.stdout);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.table.header, ['deviceId', 'ts', 'heartRate', 'accel', 'skinTemp', 'truth.activity', 'truth.abnormal', 'truth.heartRate']);
    assert.ok(parsed.table.rows.length >= 11 && parsed.table.rows.length <= 12);
    assert.match(result.stderr, /Wrote \d+ rows of 1 health device/);
  });

  it('explains a bad command line with exit code 2, and a file it cannot write with exit code 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--csv', 'x.csv'], /--scenario is required/],
      [['--scenario', 'home'], /give --broker URL to publish, or --csv FILE/],
      [['--scenario', 'home', '--csv', 'a', '--broker', 'mqtt://x'], /either --broker or --csv/],
      [['--scenario', 'farm', '--csv', 'a'], /--scenario must be one of home, city, health/],
      [['--scenario', 'home', '--csv', 'a', '--devices', '0', '--speed', 'fast'], /--devices must be at least 1.*--speed must be a number/],
      [['--scenario', 'home', '--csv', 'a', '--duration', '0'], /--duration must be a number of seconds above 0/],
      [['--scenario', 'home', '--csv', 'a', '--start', 'tomorrow'], /--start must be an ISO 8601 date/],
      [['--scenario', 'home', '--csv', 'a', '--protocol', '3'], /--protocol must be 4/],
      [['--scenario', 'home', '--csv', 'a', '--colour', 'red'], /unknown option --colour/],
      [['--scenario', 'home', '--csv'], /--csv needs a value/],
      [['--scenario', 'home', '--csv', 'a', '--people'], /--people needs commands to override: use it with --broker/],
    ];
    for (const [argv, message] of cases) {
      const result = await simulate(argv);
      assert.equal(result.code, 2, argv.join(' '));
      assert.match(result.stderr, message);
    }
    const help = await simulate(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: iot-ai simulate --scenario home\|city\|health/);
    const unwritable = await simulate(['--scenario', 'home', '--csv', path.join(directory, 'missing', 'x.csv'), '--duration', '60']);
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /cannot write .*x\.csv/);
    assert.equal(fs.existsSync(path.join(directory, 'missing')), false);
  });
});

describe('iot-ai simulate --broker', function () {
  this.timeout(60_000);
  let broker: Broker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('publishes readings and truth, obeys a command and acknowledges it to replyTo and with its state (aedes, MQTT 3.1.1)', async () => {
    broker = await startAedes();
    const watcher = await mqttClient(broker.url);
    try {
      await watcher.client.subscribeAsync(['home/#', 'replies/#']);
      const run = simulate(['--scenario', 'home', '--broker', broker.url, '--duration', '3', '--interval', '100', '--devices', '2', '--format', 'json', '--seed', '9', '--no-faults']);
      await watcher.waitFor(() => watcher.received.some((m) => m.topic === 'home/living-1/sensors'), 10_000, 'a reading');
      watcher.client.publish('home/living-1/set', JSON.stringify({ light: 'ON', setpoint: 18, correlationId: 'abc', replyTo: 'replies/living-1' }));
      watcher.client.publish('home/kitchen-1/set', JSON.stringify({ setpoint: 99, correlationId: 'bad', replyTo: 'replies/kitchen-1' }));
      await watcher.waitFor(() => watcher.received.some((m) => m.topic === 'replies/kitchen-1'), 10_000, 'the replies');
      const result = await run;
      assert.equal(result.code, 0, result.stderr);

      assert.deepEqual(watcher.json('replies/living-1'), [{ correlationId: 'abc', ok: true }]);
      const [refused] = watcher.json('replies/kitchen-1');
      assert.equal(refused.ok, false);
      assert.match(refused.detail, /setpoint must be a number from 5 to 35/);
      assert.deepEqual(watcher.json('home/living-1/state'), [{ deviceId: 'living-1', light: 'ON', setpoint: 18 }]);
      assert.deepEqual(watcher.json('home/kitchen-1/state'), [], 'no state after a refused command');

      for (const device of ['living-1', 'kitchen-1']) {
        const readings = watcher.received.filter((m) => m.topic === `home/${device}/sensors`).map((m) => m.payload.toString('utf8'));
        const truths = watcher.json(`home/${device}/truth`);
        assert.ok(readings.length >= 10, `${readings.length} readings of ${device}`);
        assert.equal(truths.length, readings.length, 'a truth beside every reading');
        const payloads = readings.map((text) => JSON.parse(text));
        for (const truth of truths) assert.ok(['occupied', 'empty'].includes(truth.occupancy));
        assert.ok(payloads.every((p) => p.deviceId === device && typeof p.temperature === 'number' && typeof p.motion === 'boolean'));
        assert.deepEqual(
          truths.map((t) => [t.deviceId, t.ts]),
          payloads.map((p) => [p.deviceId, p.ts]),
          'a truth with the same device and ts beside every reading',
        );
      }
      assert.match(result.stdout, /Simulating 2 home device\(s\) \(living-1, kitchen-1\) every 100 ms on mqtt:\/\/127\.0\.0\.1:\d+ \(MQTT 3\.1\.1\)/);
      assert.match(result.stdout, /home\/kitchen-1\/set .* -> refused: setpoint must be/);
      assert.match(result.stdout, /Published \d+ reports; 2 command\(s\), 1 refused\./);
    } finally {
      await watcher.end();
    }
  });

  it('--people: the night-time lamp it is sent is switched off by the sleeper, reported as state with the cause on the truth topic; an unwanted-by-nobody command is left be', async () => {
    broker = await startAedes();
    const watcher = await mqttClient(broker.url);
    const start = Date.UTC(2024, 5, 3, 1);
    try {
      await watcher.client.subscribeAsync('home/#');
      // Seed 1: the household's bedroom sleeps at one in the morning; the living room is empty. A minute of
      // simulated time per report, 3,000 times as fast as the clock: some three hours in the run's 4 s.
      const run = simulate(['--scenario', 'home', '--broker', broker.url, '--duration', '4', '--interval', '60000', '--speed', '3000', '--devices', '3', '--seed', '1', '--start', '2024-06-03T01:00:00Z', '--people', '--no-faults', '--format', 'json']);
      await watcher.waitFor(() => watcher.received.some((m) => m.topic === 'home/bedroom-1/sensors'), 10_000, 'a reading');
      watcher.client.publish('home/bedroom-1/set', JSON.stringify({ light: 'ON' }));
      watcher.client.publish('home/living-1/set', JSON.stringify({ light: 'OFF' }));
      const overrides = () => watcher.json('home/bedroom-1/truth').filter((t) => t.override !== undefined);
      await watcher.waitFor(() => overrides().length > 0, 10_000, 'an override');
      const result = await run;
      assert.equal(result.code, 0, result.stderr);

      // Each override: the device's whole state on the state topic, and the same ts on the truth topic with the cause.
      const [override] = overrides();
      const { person, cause, field, automatic, chosen } = override.override;
      assert.deepEqual({ cause, field, automatic, chosen }, { cause: 'light-unwanted', field: 'light', automatic: 'ON', chosen: 'OFF' });
      assert.match(person, /^person-\d$/);
      assert.ok(override.override.delay >= 15_000 && override.override.delay <= 10 * 60_000, `a person's delay, ${override.override.delay} ms`);
      const states = watcher.json('home/bedroom-1/state');
      assert.deepEqual(states[0], { deviceId: 'bedroom-1', light: 'ON', setpoint: 21 }, 'the command\'s state first');
      const personal = states.find((s) => s.ts === override.ts);
      assert.ok(personal, 'the override\'s state report has the same ts');
      assert.equal(personal.light, 'OFF');
      assert.ok(override.ts > start && override.ts < start + 4 * 3600_000, 'in simulated time, not the clock\'s');
      const readingTs = watcher.json('home/bedroom-1/sensors').map((p) => p.ts);
      assert.ok(readingTs.some((ts) => ts >= override.ts), 'reported among the readings of its time');

      assert.deepEqual(watcher.json('home/living-1/truth').filter((t) => t.override !== undefined), [], 'nobody minds a lamp off in an empty room');
      assert.deepEqual(watcher.json('home/living-1/state'), [{ deviceId: 'living-1', light: 'OFF', setpoint: 21 }], 'only the command\'s state');
      assert.match(result.stdout, /state on home\/<device>\/state \(people's overrides too/);
      assert.match(result.stdout, /home\/bedroom-1\/state \{.*"light":"OFF".*\} <- person-\d: light ON -> OFF \(light-unwanted\)/);
      assert.match(result.stdout, /2 command\(s\), 0 refused; [1-9]\d* overridden by people\./);
    } finally {
      await watcher.end();
    }
  });

  it('stops on the abort signal (as on Ctrl-C) and fails clearly without a broker', async () => {
    broker = await startAedes();
    const controller = new AbortController();
    const run = simulate(['--scenario', 'city', '--broker', broker.url, '--interval', '50'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Ctrl-C stops/);
    assert.match(result.stdout, /Published [1-9]\d* reports/);

    const port = broker.port;
    await broker.close();
    broker = undefined;
    const refused = await simulate(['--scenario', 'city', '--broker', `mqtt://127.0.0.1:${port}`, '--duration', '1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot connect to mqtt:\/\/127\.0\.0\.1:\d+/);
  });

  it('acknowledges an MQTT 5 command on its response topic with its correlation data (mosquitto)', async function () {
    if (!fs.existsSync('/usr/sbin/mosquitto')) this.skip();
    const mosquitto = await startMosquitto();
    broker = mosquitto;
    const watcher = await mqttClient(mosquitto.url, { protocolVersion: 5 });
    try {
      await watcher.client.subscribeAsync(['health/+/sensors', 'health/+/state', 'responses/#']);
      const run = simulate(['--scenario', 'health', '--broker', mosquitto.url, '--duration', '2', '--interval', '200']);
      // Readings flow once the simulator has subscribed to its command topics.
      await watcher.waitFor(() => watcher.received.some((m) => m.topic === 'health/wearable-1/sensors'), 10_000, 'a reading');
      const correlationData = Buffer.from('corr-42');
      watcher.client.publish('health/wearable-1/set', JSON.stringify({ alert: 'caregiver', level: 2 }), { properties: { responseTopic: 'responses/w1', correlationData } });
      await watcher.waitFor(() => watcher.received.some((m) => m.topic === 'responses/w1'), 10_000, 'the MQTT 5 response');
      const result = await run;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\(MQTT 5\)/);
      const response = watcher.received.find((m) => m.topic === 'responses/w1');
      assert.ok(response, 'an MQTT 5 response');
      assert.deepEqual(JSON.parse(response.payload.toString('utf8')), { ok: true });
      assert.deepEqual(response.packet.properties?.correlationData, correlationData);
      assert.deepEqual(watcher.json('health/wearable-1/state')[0], { deviceId: 'wearable-1', alert: 'caregiver', level: 2 });
    } finally {
      await watcher.end();
    }
  });
});
