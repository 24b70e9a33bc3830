import type { ActuatorRule } from './types';

/** What the rules look at in `msg.payload.prediction`, already checked. */
export interface Prediction {
  label?: string;
  /** Always finite when present. */
  value?: number;
  confidence?: number;
  /** The prediction was made with missing features (model-predict `missing: allow`). */
  missing?: boolean;
  /** model-predict `explain`: its largest contributions as text, e.g. `co2.mean -0.31, light.mean -0.22`. */
  why?: string;
}

/** Contributions a reason names at most (model-predict lists them largest first). */
export const MAX_REASON_CONTRIBUTIONS = 5;
/** Longest feature name a reason repeats in full; longer ones are cut with `…`. */
const MAX_REASON_NAME = 60;

/**
 * `prediction.explanation` (model-predict `explain`) as text for a command's reason: its first contributions,
 * `<feature> <contribution to 2 significant digits>`, e.g. `co2.mean -0.31, light.mean +0.22`. Undefined when it
 * is absent or not of that shape: an explanation is information, never a reason to refuse a command.
 */
export function explanationText(explanation: unknown): string | undefined {
  if (explanation === null || typeof explanation !== 'object') return undefined;
  const contributions = (explanation as { contributions?: unknown }).contributions;
  if (!Array.isArray(contributions)) return undefined;
  const parts: string[] = [];
  for (const item of contributions.slice(0, MAX_REASON_CONTRIBUTIONS)) {
    if (item === null || typeof item !== 'object') return undefined;
    const { feature, contribution } = item as { feature?: unknown; contribution?: unknown };
    if (typeof feature !== 'string' || typeof contribution !== 'number' || !Number.isFinite(contribution)) return undefined;
    const name = feature.length > MAX_REASON_NAME ? `${feature.slice(0, MAX_REASON_NAME - 1)}…` : feature;
    const rounded = Number(contribution.toPrecision(2));
    parts.push(`${name} ${rounded > 0 ? '+' : ''}${rounded}`);
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export interface RuleMatch {
  rule: ActuatorRule;
  /** 0-based position in `rules`. */
  index: number;
  /** Readable account of the match, e.g. `rule 2: value 31.5 above 30`. */
  reason: string;
}

/** The latches of one device that are on, keyed `<rule index>:above` or `<rule index>:below`. */
export type Latches = Set<string>;

type Side = 'above' | 'below';

/**
 * Moves the latch of one threshold and says whether it is on. Above: on when value > above, off again at
 * value <= above − hysteresis; below mirrors it. Without a value the latch keeps its state and does not match.
 */
function updateLatch(
  latches: Latches,
  key: string,
  side: Side,
  threshold: number,
  value: number | undefined,
  hysteresis: number,
): { on: boolean; held: boolean } {
  if (value === undefined) return { on: false, held: false };
  const wasOn = latches.has(key);
  const crossed = side === 'above' ? value > threshold : value < threshold;
  const released = side === 'above' ? value <= threshold - hysteresis : value >= threshold + hysteresis;
  const on = crossed || (wasOn && !released);
  if (on) latches.add(key);
  else latches.delete(key);
  return { on, held: on && !crossed };
}

/**
 * The first rule that matches, in order. Every threshold latch is updated on every prediction (not only up to
 * the first match), so a rule further down never acts on a stale latch.
 */
export function matchRule(
  rules: readonly ActuatorRule[],
  prediction: Prediction,
  latches: Latches,
  hysteresis: number,
): RuleMatch | undefined {
  let first: RuleMatch | undefined;
  rules.forEach((rule, index) => {
    let matched = rule.label === undefined || prediction.label === rule.label;
    const held = { above: false, below: false };
    for (const side of SIDES) {
      const threshold = rule[side];
      if (threshold === undefined) continue;
      const latch = updateLatch(latches, `${index}:${side}`, side, threshold, prediction.value, hysteresis);
      matched &&= latch.on;
      held[side] = latch.held;
    }
    // The reason is only spelled out for the rule that acts.
    if (matched && !first) first = { rule, index, reason: reasonOf(rule, index, prediction, held, hysteresis) };
  });
  return first;
}

const SIDES = ['above', 'below'] as const;

/** Readable account of a match, e.g. `rule 2: value 31.5 above 30`. */
function reasonOf(rule: ActuatorRule, index: number, prediction: Prediction, held: Record<Side, boolean>, hysteresis: number): string {
  const parts: string[] = [];
  if (rule.label !== undefined) parts.push(`label ${JSON.stringify(rule.label)}`);
  for (const side of SIDES) {
    const threshold = rule[side];
    if (threshold === undefined) continue;
    parts.push(`value ${prediction.value} ${side} ${threshold}${held[side] ? ` (held by hysteresis ${hysteresis})` : ''}`);
  }
  const why = prediction.why !== undefined ? `; why: ${prediction.why}` : '';
  return `rule ${index + 1}: ${parts.length > 0 ? parts.join(', ') : 'any prediction'}${why}`;
}
