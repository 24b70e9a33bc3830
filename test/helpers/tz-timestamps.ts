/**
 * Run in a child node with TZ set (test/core/ingest-time.test.ts): reads ISO 8601 texts from stdin (a JSON list),
 * prints the zone's offset at the epoch and what normaliseTimestamp makes of each text (null when refused).
 */
import { normaliseTimestamp } from '../../src/core/ingest';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const texts = JSON.parse(input) as string[];
  const results = texts.map((text) => normaliseTimestamp(text) ?? null);
  process.stdout.write(JSON.stringify({ zone: Intl.DateTimeFormat().resolvedOptions().timeZone, offsetMinutes: new Date(Date.UTC(2026, 0, 15)).getTimezoneOffset(), results }));
});
