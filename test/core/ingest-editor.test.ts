import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILE_SETTINGS } from '../../src/core/ingest';
import { editorCore } from '../../src/nodes/shared/editor-core';

describe('sensor-ingest editor: the profiles the dialog fills in are the runtime\'s', () => {
  it('editor.js reads PROFILES from IotAiEditor.core, which is src/core/ingest/profiles.ts PROFILE_SETTINGS', () => {
    const js = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'nodes', 'sensor-ingest', 'editor.js'), 'utf8');
    assert.match(js, /var PROFILES = CORE\.profiles;/);
    assert.deepEqual(editorCore().ingest.profiles, PROFILE_SETTINGS);
  });
});

describe('sensor-ingest editor: every string is in the message catalogue', () => {
  it('each data-i18n key of editor.html has an en-US message', () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'nodes', 'sensor-ingest');
    const html = fs.readFileSync(path.join(dir, 'editor.html'), 'utf8');
    const messages = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', 'messages.json'), 'utf8'));
    const keys = [...html.matchAll(/data-i18n="(?:\[placeholder\])?([^"]+)"/g)].map((m) => m[1]);
    assert.ok(keys.includes('sensor-ingest.label.profile') && keys.includes('sensor-ingest.profile.lwm2m'));
    for (const key of keys) {
      const value = key.split('.').reduce((o: any, k) => (o === undefined ? undefined : o[k]), messages);
      assert.equal(typeof value, 'string', `missing message ${key}`);
    }
  });
});
