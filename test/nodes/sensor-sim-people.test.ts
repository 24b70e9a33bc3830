import { strict as assert } from 'node:assert';
import { OVERRIDE_CAUSES } from '../../src/core/sim/people';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import sensorSim = require('../../src/nodes/sensor-sim');

// Seed 1's household sleeps in the bedroom at one in the morning (UTC) and nobody is in the living room: a lamp
// switched on over the sleeper bothers them, a lamp switched off in the empty room bothers nobody.
const START = '2024-06-03T01:00:00Z';
const HOUR = 3600_000;

/** A minute of simulated time per report, 10,000 times as fast as the clock: an hour in 0.36 s. */
async function load(props: Record<string, unknown>) {
  await helper.load(sensorSim, harness('sensor-sim', { scenario: 'home', devices: 3, interval: 60000, speed: 10000, seed: 1, startTime: START, format: 'json', faults: false, ...props }, 1));
  return { n1: getNode('n1'), out: collect('out1'), completed: collect('completed'), caught: collect('caught') };
}

type Msg = Record<string, any>;
const readingsOf = (messages: Msg[], device: string) => messages.filter((m) => m.topic === `home/${device}/sensors`);

/** Sends the automatic commands once the simulator runs, then collects until two simulated hours after them. */
async function commandAndWatch(props: Record<string, unknown>) {
  const { n1, out, completed, caught } = await load(props);
  await out.next(3);
  const commandedAt = Math.max(...out.messages.map((m) => m.payload.ts));
  n1.receive({ topic: 'home/bedroom-1/set', payload: { light: 'ON' } });
  n1.receive({ topic: 'home/living-1/set', payload: { light: 'OFF' } });
  await completed.next(2);
  for (let i = 0; i < 200 && !readingsOf(out.messages, 'bedroom-1').some((m) => m.payload.ts >= commandedAt + 2 * HOUR); i++) await settle(20);
  assert.deepEqual(caught.messages, []);
  return { messages: out.messages.slice(), commandedAt };
}

describe('sensor-sim node: people', function () {
  this.timeout(20_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('people: true — a disliked automatic command is overridden: the state report with truth.override leaves on the output at simulated time; a command nobody minds is left be', async () => {
    const { messages, commandedAt } = await commandAndWatch({ people: true });
    const states = messages.filter((m) => m.topic.endsWith('/state'));
    // Without replyTo each command is answered by the device's state, which carries no truth.
    assert.deepEqual(
      states.filter((m) => m.truth === undefined).map((m) => m.payload),
      [
        { deviceId: 'bedroom-1', light: 'ON', setpoint: 21 },
        { deviceId: 'living-1', light: 'OFF', setpoint: 21 },
      ],
    );

    const overrides = states.filter((m) => m.truth?.override !== undefined);
    assert.ok(overrides.length >= 1, 'the sleeper switches the lamp off');
    assert.ok(
      overrides.every((m) => m.topic === 'home/bedroom-1/state'),
      `only the disliked command is overridden: ${overrides.map((m) => m.topic).join(', ')}`,
    );
    assert.equal(
      states.filter((m) => m.truth !== undefined && m.topic === 'home/living-1/state').length,
      0,
      'nobody touches the lamp switched off in the empty room',
    );

    const [first] = overrides;
    const { person, cause, field, automatic, chosen, delay } = first.truth.override;
    assert.ok((OVERRIDE_CAUSES as readonly string[]).includes(cause));
    assert.deepEqual({ cause, field, automatic, chosen }, { cause: 'light-unwanted', field: 'light', automatic: 'ON', chosen: 'OFF' });
    assert.match(person, /^person-\d$/);
    assert.ok(delay >= 15_000 && delay <= 10 * 60_000, `noticed, then acted ${delay} ms later (a lamp: 15 s to 10 min)`);
    assert.deepEqual(first.payload, { deviceId: 'bedroom-1', light: 'OFF', setpoint: 21, ts: first.payload.ts }, 'the device reports its whole state');

    // At simulated time: after the command, within the person's delay and a reporting interval, long before the clock.
    const ts = first.payload.ts;
    assert.ok(ts > commandedAt && ts <= commandedAt + delay + 2 * 60_000, `${new Date(ts).toISOString()} after the command at ${new Date(commandedAt).toISOString()}`);
    assert.ok(ts < Date.parse(START) + 6 * HOUR && ts < Date.now() - 30 * 24 * HOUR, 'simulated, not wall-clock, time');
    // It goes out with the readings of the timer run it happened in, after them.
    // (At this speed a timer run may send several minutes of a device's readings together, the state reports after.)
    const at = messages.indexOf(first);
    const before = messages.slice(0, at).find((m) => m.topic === 'home/bedroom-1/sensors' && m.payload.ts === ts);
    assert.ok(before, 'the reading of the same instant went out before it');
    assert.ok(before.truth.occupants > 0, 'somebody was in the room');
    // After the override the room reads dark again: the lamp is off.
    const after = readingsOf(messages.slice(at + 1), 'bedroom-1');
    assert.ok(after.length > 0 && after.every((m) => m.payload.light < 50), `lux after: ${after.slice(0, 5).map((m) => m.payload.light).join(', ')}`);
  });

  it('people off (the default): the same commands are never overridden, and no state goes out but the commands\' answers', async () => {
    const { messages } = await commandAndWatch({});
    assert.ok(readingsOf(messages, 'bedroom-1').length > 100, 'two simulated hours and more');
    assert.deepEqual(
      messages.filter((m) => m.topic.endsWith('/state')).map((m) => [m.topic, m.truth]),
      [
        ['home/bedroom-1/state', undefined],
        ['home/living-1/state', undefined],
      ],
    );
  });
});
