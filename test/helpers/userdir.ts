/**
 * Mocha hooks for node tests that need a user directory: each test gets a fresh temporary one holding
 * `live.json` (a small real model, for ml-model configs with `path: 'live.json'`), and a test runtime using it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { toyClassifier } from './models';
import { helper } from './runtime';

export function runtimeWithUserDir(prefix: string): { dir(): string } {
  let dir = '';
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    await saveModel(path.join(dir, 'live.json'), await toyClassifier('1.0.0', 5));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir: () => dir };
}
