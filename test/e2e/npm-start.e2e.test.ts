import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../helpers/nodered-process';
import { mqttClient } from '../helpers/broker';

const root = path.resolve(__dirname, '..', '..');

describe('e2e: npm start', function () {
  it('starts the embedded broker and Node-RED with the palette and a live flow; Ctrl-C stops all of it', async () => {
    const port = await freePort();
    const mqttPort = await freePort();
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-start-'));
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
      cwd: root,
      env: { ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), IOT_AI_USER_DIR: userDir, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90000;
      while (!output.includes(`http://127.0.0.1:${port}/`)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const sets = (await (await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { accept: 'application/json' } })).json()) as Array<{ module: string; types: string[] }>;
      assert.ok(sets.some((s) => s.module === '@iot-ai/node-red-iot-ai' && s.types.includes('sensor-ingest')));
      const flows = (await (await fetch(`http://127.0.0.1:${port}/flows`)).json()) as Array<{ type: string }>;
      assert.ok(flows.some((n) => n.type === 'sensor-ingest'), 'a flow using the palette is deployed');
      const client = await mqttClient(`mqtt://127.0.0.1:${mqttPort}`);
      try {
        await client.client.subscribeAsync('home/+/sensors');
        await client.waitFor(() => client.received.length > 0, 15000, 'live sensor traffic on the embedded broker');
        const pack = JSON.parse(client.received[0].payload.toString());
        assert.ok(Array.isArray(pack) && pack[0].bn, 'the simulated rooms publish SenML');
      } finally {
        await client.end();
      }
      // The live one-line summary (every 2 s when not on a terminal).
      const summaryDeadline = Date.now() + 10000;
      while (!/readings\/s · \d+ rejected · \d+ predictions · accuracy .* · commands \d+ sent, \d+ acked/.test(output) && Date.now() < summaryDeadline) await new Promise((r) => setTimeout(r, 200));
      assert.match(output, /[\d.]+ readings\/s · \d+ rejected · \d+ predictions · accuracy .* · commands \d+ sent, \d+ acked, \d+ failed/);
      assert.doesNotMatch(output, /\[error\]/);
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      const stillListening = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
      assert.equal(stillListening, false, 'Node-RED stopped with it');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });
});
