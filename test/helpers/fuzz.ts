/** fast-check run counts: a quick pass in `npm test`, the long one in `npm run test:full` (IOT_AI_FULL=1). */
export function runs(quick: number, full: number): number {
  return process.env.IOT_AI_FULL ? full : quick;
}
