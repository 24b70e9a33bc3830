/** `1.0.7` → `1.0.8`; anything else gets a date-based version. */
export function nextVersion(previous: string | undefined, now: Date): string {
  const match = previous === undefined ? null : /^(\d+)\.(\d+)\.(\d+)$/.exec(previous);
  if (match) return `${match[1]}.${match[2]}.${Number(match[3]) + 1}`;
  return previous === undefined ? '1.0.0' : now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
