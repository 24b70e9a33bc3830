/** JSON Pointer (RFC 6901) building and reading, for the `error.path` of rejects. The one place that escapes. */

/** One reference token: `~` becomes `~0` and `/` becomes `~1` (in that order, so `~1` in a name stays itself). */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  // Most names need no escape: no regular expression runs for them (ingest builds a pointer per field).
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

/** The reference token back to the name (`~1` first, so `~01` is `~1`, not `/`). */
export function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The pointer of a path of names and indexes, each escaped: pointer('a/b', 0) is '/a~1b/0'; no segments is ''. */
export function pointer(...segments: Array<string | number>): string {
  let out = '';
  for (const segment of segments) out += '/' + escapePointerToken(segment);
  return out;
}
