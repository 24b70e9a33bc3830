/**
 * The IoT AI sidebar's admin endpoints behind Node-RED's own admin auth (adminAuth in settings.js): no token, no
 * answer (401); a user with `read` permission sees the models but may not roll back (401); an admin may.
 * What the endpoints answer is tested in test/nodes/ml-model-sidebar.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { ModelArchive } from '../../src/core/model/file/archive';
import { NodeRedProcess } from '../helpers/nodered-process';
import { toyClassifier } from '../helpers/models';

const PASSWORD = 'sidebar-test-password';
// bcrypt of PASSWORD, as Node-RED's `node-red admin hash-pw` writes it.
const HASH = '$2b$08$nkrL.R6XaVtAtbvS8cp2HukzqjdQC52ewLqRSFD76Qc6AenxEPVoq';

describe('e2e: the IoT AI sidebar endpoints need Node-RED admin permissions', function () {
  this.timeout(120_000);
  let red: NodeRedProcess;
  let liveVersion: string;

  before(async () => {
    red = await NodeRedProcess.start({
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: HASH, permissions: '*' },
            { username: 'viewer', password: HASH, permissions: 'read' },
          ],
        },
      },
      flows: [
        { id: 'f1', type: 'tab', label: 'sidebar' },
        { id: 'cfg', type: 'ml-model', z: 'f1', name: 'toy model', path: 'models/toy.json', watch: true },
        { id: 'predict', type: 'model-predict', z: 'f1', model: 'cfg', x: 200, y: 100, wires: [[], []] },
      ],
    });
    // The model folder appears whole (ml-model looks for it every second and then loads the file): 1.0.0 archived,
    // a second version live.
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-sidebar-models-'));
    const file = path.join(staging, 'models', 'toy.json');
    await saveModel(file, await toyClassifier('1.0.0'));
    const published = await new ModelArchive({ modelFile: file, keepVersions: 5 }).publish({ ...(await toyClassifier('1.0.0', 9)), description: 'second' });
    if (!published.ok) throw new Error(published.message);
    liveVersion = published.model.version;
    fs.cpSync(path.join(staging, 'models'), path.join(red.userDir, 'models.tmp'), { recursive: true });
    fs.renameSync(path.join(red.userDir, 'models.tmp'), path.join(red.userDir, 'models'));
    fs.rmSync(staging, { recursive: true, force: true });
  });
  after(async () => {
    await red?.dispose();
  });

  async function token(username: string, scope: string): Promise<string> {
    const res = await fetch(`${red.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: PASSWORD }).toString(),
    });
    assert.equal(res.status, 200, `login of ${username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const get = (pathname: string, bearer?: string) => fetch(`${red.url}${pathname}`, { headers: { accept: 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } });
  const rollback = (version: string, bearer?: string) =>
    fetch(`${red.url}/iot-ai/models/deployed/cfg/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ version }),
    });
  /** The live version the sidebar reports, as the admin sees it (once the model has loaded). */
  async function liveAs(bearer: string, expected: string): Promise<string | undefined> {
    let version: string | undefined;
    for (let i = 0; i < 300; i++) {
      const res = await get('/iot-ai/models/deployed', bearer);
      version = ((await res.json()) as { models: Array<{ id: string; model?: { version: string } }> }).models.find((m) => m.id === 'cfg')?.model?.version;
      if (version === expected) return version;
      await new Promise((r) => setTimeout(r, 100));
    }
    return version;
  }

  it('refuses every sidebar endpoint without a token (401), and changes nothing', async () => {
    for (const pathname of ['/iot-ai/models/deployed', '/iot-ai/models/deployed/cfg/versions', '/iot-ai/bundled-models']) {
      assert.equal((await get(pathname)).status, 401, `GET ${pathname}`);
    }
    assert.equal((await rollback('1.0.0')).status, 401);
    const admin = await token('admin', '*');
    assert.equal(await liveAs(admin, liveVersion), liveVersion);
  });

  it('lets a read-only user see the models and versions, but not roll back (401)', async () => {
    const viewer = await token('viewer', 'read');
    assert.equal(await liveAs(viewer, liveVersion), liveVersion, 'the viewer sees the live model');
    const versions = await get('/iot-ai/models/deployed/cfg/versions', viewer);
    assert.equal(versions.status, 200);
    assert.deepEqual(((await versions.json()) as { versions: Array<{ version: string }> }).versions.map((v) => v.version), ['1.0.0']);
    assert.equal((await rollback('1.0.0', viewer)).status, 401);
    const admin = await token('admin', '*');
    assert.equal(await liveAs(admin, liveVersion), liveVersion, 'the refused rollback changed nothing');
    assert.equal(JSON.parse(fs.readFileSync(path.join(red.userDir, 'models', 'toy.json'), 'utf8')).version, liveVersion);
  });

  it('lets an admin roll back', async () => {
    const admin = await token('admin', '*');
    const res = await rollback('1.0.0', admin);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { rolledBack: { name: 'toy', version: '1.0.0' }, replaced: liveVersion });
    assert.equal(await liveAs(admin, '1.0.0'), '1.0.0');
  });
});
