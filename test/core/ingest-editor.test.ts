import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILE_SETTINGS } from '../../src/core/ingest';

describe('sensor-ingest editor: the profiles the dialog fills in are the runtime\'s', () => {
  it('editor.js PROFILES equals src/core/ingest/profiles.ts PROFILE_SETTINGS, every profile and setting', () => {
    const js = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'nodes', 'sensor-ingest', 'editor.js'), 'utf8');
    const m = /var PROFILES = (\{[\s\S]*?\n {4}\});/.exec(js);
    assert.ok(m, 'editor.js declares var PROFILES');
    // The table is written as JSON (one line per profile) so it can be read back here.
    assert.deepEqual(JSON.parse(m[1].replace(/^\s+"?(\w+)"?:/gm, (_, k) => `"${k}":`)), PROFILE_SETTINGS);
  });
});
