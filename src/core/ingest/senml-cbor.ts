import { decodeCBOR } from '@levischuck/tiny-cbor';

/** SenML's CBOR labels (RFC 8428 section 6, table 4): integers in place of the JSON names. */
const LABELS: Record<number, string> = { [-1]: 'bver', [-2]: 'bn', [-3]: 'bt', [-4]: 'bu', [-5]: 'bv', [-6]: 'bs', 0: 'n', 1: 'u', 2: 'v', 3: 'vs', 4: 'vb', 5: 's', 6: 't', 7: 'ut', 8: 'vd' };

/**
 * Whether a Buffer holds CBOR rather than text: a CBOR array or map starts with a byte 0x80-0xbf, which no JSON
 * text (nor UTF-8 text at all) starts with.
 */
export function looksLikeCbor(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] >= 0x80 && bytes[0] <= 0xbf;
}

/** A SenML CBOR pack as the JSON form's records; throws on bytes that are not CBOR. */
export function decodeSenmlCbor(bytes: Uint8Array): unknown {
  // A copy: a Buffer may be a slice of Node's shared pool, and the decoder reads its own offsets.
  return fromCbor(decodeCBOR(new Uint8Array(bytes)));
}

function fromCbor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item instanceof Map ? record(item) : fromCbor(item)));
  if (value instanceof Map) return record(value);
  return value;
}

/** One record: integer labels named, a byte-string `vd` as base64url text (as in the JSON form). */
function record(map: Map<unknown, unknown>): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const [key, raw] of map) {
    const name = typeof key === 'number' ? (LABELS[key] ?? String(key)) : String(key);
    const value = raw instanceof Uint8Array ? Buffer.from(raw).toString('base64url') : raw instanceof Map ? record(raw) : raw;
    entries.push([name, value]);
  }
  // fromEntries defines own properties: a "__proto__" label stays data.
  return Object.fromEntries(entries);
}
