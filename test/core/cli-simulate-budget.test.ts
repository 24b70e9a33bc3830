/**
 * Issue #27.6: `iot-ai simulate --broker` runs on the clock like the sensor-sim node, so it is bounded the same
 * way: refused past the readings-per-second budget, and late readings skipped rather than made up at once.
 */
import { strict as assert } from 'node:assert';
import { runSimulate } from '../../src/cli/simulate';
import { startAedes, type Broker } from '../helpers/broker';

async function simulate(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runSimulate(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

describe('iot-ai simulate --broker: bounded work (#27.6)', function () {
  this.timeout(60_000);
  let broker: Broker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('refuses every setting at its bound (10^9 readings a second) with exit code 2, before connecting; a CSV still takes it', async () => {
    const result = await simulate(['--scenario', 'home', '--broker', 'mqtt://127.0.0.1:1', '--devices', '1000', '--interval', '10', '--speed', '10000']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /devices × speed × 1000 \/ interval is .* reports per second, above the 2000 a running sensor-sim may send/);
    const csv = await simulate(['--scenario', 'home', '--csv', '-', '--devices', '1000', '--interval', '10', '--speed', '10000', '--duration', '0.01']);
    assert.equal(csv.code, 0, csv.stderr);
  });

  it('at the budget, readings more than a second late (a blocked event loop) are skipped and counted, not published at once', async () => {
    broker = await startAedes();
    const run = simulate(['--scenario', 'home', '--broker', broker.url, '--duration', '4', '--devices', '1000', '--interval', '1000', '--speed', '2', '--no-faults', '--seed', '3']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      // Block the event loop, as a busy flow would.
    }
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    const skipped = Number(/, (\d+) skipped \(late\)/.exec(result.stdout)?.[1] ?? 0);
    assert.ok(skipped >= 1000, result.stdout.slice(-300));
  });
});
