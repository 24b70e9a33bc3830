/** Shared by the actuate tests (not a test file itself). */
import assert from 'node:assert/strict';
import {
  ActuatorEngine,
  parseActuatorConfig,
  type ActuatorConfig,
  type ActuatorEffect,
  type CommandEffect,
  type Outcome,
  type WarnEffect,
} from '../../src/core/actuate';

export function configOf(raw: Record<string, unknown>): ActuatorConfig {
  const result = parseActuatorConfig(raw);
  if (!result.ok) assert.fail(result.error);
  return result.config;
}

/** Correlation ids c1, c2, ... so tests can name them. */
export function sequentialIds(prefix = 'c'): { newCorrelationId(): string } {
  let next = 0;
  return { newCorrelationId: () => `${prefix}${++next}` };
}

export function engineFor(raw: Record<string, unknown>): ActuatorEngine {
  return new ActuatorEngine(configOf(raw), sequentialIds());
}

export function prediction(
  deviceId: unknown,
  fields: { label?: unknown; value?: unknown; confidence?: unknown },
): { payload: unknown } {
  return { payload: { deviceId, prediction: fields } };
}

export function commandsOf(effects: ActuatorEffect[]): CommandEffect[] {
  return effects.filter((effect): effect is CommandEffect => effect.kind === 'command');
}

export function outcomesOf(effects: ActuatorEffect[]): Outcome[] {
  return effects.flatMap((effect) => (effect.kind === 'outcome' ? [effect.payload] : []));
}

export function warningsOf(effects: ActuatorEffect[]): WarnEffect[] {
  return effects.filter((effect): effect is WarnEffect => effect.kind === 'warn');
}

/** The single outcome of effects that must hold exactly one. */
export function onlyOutcome(effects: ActuatorEffect[]): Outcome {
  const outcomes = outcomesOf(effects);
  assert.equal(outcomes.length, 1, `expected one outcome, got ${JSON.stringify(outcomes)}`);
  return outcomes[0];
}

/** The single command of effects that must hold exactly one. */
export function onlyCommand(effects: ActuatorEffect[]): CommandEffect {
  const commands = commandsOf(effects);
  assert.equal(commands.length, 1, `expected one command, got ${JSON.stringify(commands)}`);
  return commands[0];
}

/** The reply a device sends for a command, on the topic and with the correlation it was given. */
export function replyTo(command: CommandEffect, ok = true): { topic: unknown; payload: Record<string, unknown>; correlationData?: Buffer } {
  if (command.correlationData) return { topic: command.responseTopic, correlationData: command.correlationData, payload: { ok } };
  const payload = command.payload as Record<string, unknown>;
  return { topic: payload.replyTo, payload: { correlationId: payload.correlationId, ok } };
}
