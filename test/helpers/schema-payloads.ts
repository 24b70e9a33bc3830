/** Inputs that kept sensor-ingest's schema check busy for seconds to minutes on a backtracking, quadratic Ajv. */

/** 57 bytes, as in the report: `^(a+)+$` tries 2^32 ways to match the id before giving up. */
export const CATASTROPHIC_PAYLOAD = JSON.stringify({ deviceId: 'a'.repeat(32) + '!', t: 21.5 });
export const CATASTROPHIC_SCHEMA = JSON.stringify({ type: 'object', properties: { deviceId: { type: 'string', pattern: '^(a+)+$' } } });

/** uniqueItems over a whole pack: Ajv compares object items pairwise (n²/2 deep-equals). */
export const UNIQUE_PACK_SCHEMA = JSON.stringify({ type: 'array', uniqueItems: true });
export const uniquePack = (records: number) => Array.from({ length: records }, (_, i) => ({ n: `d${i}:t`, v: i % 7 }));
