/** "12 ok · 3 rejected"-style text from labelled counts, skipping zeros after the first. */
export function countsText(parts: Array<[number, string]>): string {
  return parts
    .filter(([count], index) => index === 0 || count > 0)
    .map(([count, label]) => `${count} ${label}`)
    .join(' · ');
}
