import { isJsonObject, isPlainObject } from './json';
import type { JsonValue } from './types';

/** A device's report of its state, as wired into the node for `ack: state`. */
export type StateReport =
  /** A canonical reading: one field, named by `sensor`. */
  | { kind: 'reading'; sensor: string; value: unknown }
  /** A JSON state object, as Zigbee2MQTT, Tasmota (`RESULT`) or Shelly publish it. */
  | { kind: 'object'; fields: Record<string, unknown> }
  /** A bare value, e.g. Tasmota's `stat/<device>/POWER` = `ON`. */
  | { kind: 'scalar'; value: unknown };

/** Equal, or primitives with the same text: devices often echo `200` for `"200"` and `"true"` for `true`. */
function sameValue(reported: unknown, commanded: JsonValue): boolean {
  if (reported === commanded) return true;
  const primitive = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  return primitive(reported) && primitive(commanded) && String(reported) === String(commanded);
}

/** The report shows what was commanded: objects may carry more fields than the command, never different ones. */
function covers(reported: unknown, commanded: JsonValue): boolean {
  if (Array.isArray(commanded)) {
    return (
      Array.isArray(reported) &&
      reported.length === commanded.length &&
      commanded.every((item, i) => covers(reported[i], item))
    );
  }
  if (isJsonObject(commanded)) {
    return isPlainObject(reported) && Object.keys(commanded).every((key) => covers(reported[key], commanded[key]));
  }
  return sameValue(reported, commanded);
}

/**
 * Folds one report into the set of the command's fields confirmed so far (a field reported different again is
 * unconfirmed) and says whether the whole command is now confirmed. Fields may arrive over several reports, as
 * canonical readings come one sensor at a time.
 */
export function confirmState(command: JsonValue, report: StateReport, confirmed: Set<string>): boolean {
  if (!isJsonObject(command)) {
    // A bare command names no field: any reported value equal to it confirms it.
    if (report.kind === 'object') return Object.values(report.fields).some((value) => sameValue(value, command));
    return covers(report.value, command);
  }
  const reported: Record<string, unknown> =
    report.kind === 'reading' ? { [report.sensor]: report.value } : report.kind === 'object' ? report.fields : {};
  for (const key of Object.keys(command)) {
    if (!Object.prototype.hasOwnProperty.call(reported, key)) continue;
    if (covers(reported[key], command[key])) confirmed.add(key);
    else confirmed.delete(key);
  }
  return Object.keys(command).every((key) => confirmed.has(key));
}
