import { readFile } from 'node:fs/promises';
import type { ConfigResult } from '../core/util/config';

/**
 * A JSON file of a node's properties (`--window WINDOW.json`), as they are: the node's own config reader
 * (parseWindowConfig, parseActuatorConfig, ...) checks them, as it does a deployed node's.
 */
export async function readPropertiesFile(file: string): Promise<ConfigResult<unknown>> {
  try {
    return { ok: true, config: JSON.parse(await readFile(file, 'utf8')) as unknown };
  } catch (err) {
    return { ok: false, error: `cannot read ${file}: ${(err as Error).message}` };
  }
}
