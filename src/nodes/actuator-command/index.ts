import { randomUUID } from 'node:crypto';
import { ActuatorEngine, parseActuatorConfig, type ActuatorEffect, type RawActuatorConfig } from '../../core/actuate';
import type { Outcome, OutcomeEffect } from '../../core/actuate/types';
import { PersistedState } from '../shared/persist';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { migrateConfig } from '../shared/migrations';
import { readNodeConfig } from '../shared/config';
import { batchMessage } from '../shared/messages';

const STATE_KEY = 'actuatorCommandState';
/** Outcomes that end a command: lost by a `kill -9`, the command would be retried (or ended) again after it. */
const FINAL_STATUSES = new Set(['acked', 'nacked', 'timeout']);
/**
 * After a restart, restored deadlines wait this long: the flow's broker connections come up asynchronously, and a
 * retry or final outcome sent before they do would be dropped by the core mqtt out node.
 */
const RESTART_GRACE_MS = 3000;
/** Predictions after which, if none matched a rule, the status says which labels arrived. */
const NO_RULE_HINT_AFTER = 5;
/** Distinct prediction labels remembered for that hint. */
const NO_RULE_LABELS = 5;
/** Immediate outcomes: one per prediction. */
const PREDICTION_OUTCOMES = new Set(['sent', 'suppressed', 'refused']);

/** Node-RED glue for actuator-command: predictions, replies, states, overrides and corrections in; commands, outcomes and feedback out. */
export = function register(RED: RED): void {
  function ActuatorCommandNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const parsed = parseActuatorConfig(def as RawActuatorConfig);
    let engine: ActuatorEngine | undefined;
    // Every prediction so far matched no rule (fresh rules against a model with other labels): say which labels came.
    const noRule = { predictions: 0, unmatched: 0, labels: [] as string[] };
    const status = new StatusReporter(node, () => {
      const stats = engine!.stats;
      if (noRule.predictions >= NO_RULE_HINT_AFTER && noRule.unmatched === noRule.predictions) {
        return { fill: 'yellow', shape: 'ring', text: RED._('actuator-command.status.noRule', { count: noRule.predictions, labels: noRule.labels.join(', ') }) };
      }
      return {
        fill: stats.nacked + stats.timeouts + stats.refused > 0 ? 'yellow' : 'green',
        shape: stats.pending > 0 ? 'ring' : 'dot',
        text: countsText([
          [stats.sent, RED._('actuator-command.status.sent')],
          [stats.acked, RED._('actuator-command.status.acked')],
          [stats.pending, RED._('actuator-command.status.pending')],
          [stats.suppressed, RED._('actuator-command.status.suppressed')],
          [stats.refused, RED._('actuator-command.status.refused')],
          [stats.nacked, RED._('actuator-command.status.nacked')],
          [stats.timeouts, RED._('actuator-command.status.timeout')],
          [stats.corrections, RED._('actuator-command.status.corrected')],
          [stats.kept, RED._('actuator-command.status.kept')],
        ]),
      };
    });
    const config = readNodeConfig(node, parsed, RED._('actuator-command.errors.config'));
    if (config === undefined) return;
    const persist = typeof def.persist === 'string' ? def.persist.trim() : '';
    const deps = { newCorrelationId: () => randomUUID() };
    engine = new ActuatorEngine(config, deps);

    let deadlineTimer: NodeJS.Timeout | undefined;
    let notBefore = 0;
    const state = new PersistedState(node, persist, STATE_KEY, () => engine!.snapshot());

    // Commands always go one message each: a device receives exactly what it would from single predictions.
    // Outcomes: one message each, or (`output: batch`) the outcomes of one input or timer run as one message.
    const emit = (send: SendFn, effects: ActuatorEffect[]) => {
      const commands: NodeMessage[] = [];
      const outcomes: NodeMessage[] = [];
      const feedback: NodeMessage[] = [];
      const batched: Array<Outcome & { error?: OutcomeEffect['error'] }> = [];
      for (const effect of effects) {
        if (effect.kind === 'command') {
          const msg: NodeMessage = { topic: effect.topic, payload: effect.payload, command: effect.command };
          if (effect.responseTopic !== undefined) msg.responseTopic = effect.responseTopic;
          if (effect.correlationData !== undefined) msg.correlationData = effect.correlationData;
          if (effect.retry !== undefined) msg.retry = effect.retry;
          commands.push(msg);
        } else if (effect.kind === 'outcome') {
          if (config.output === 'batch') {
            // In a batch each refused outcome carries its own error (with the prediction's `/<index>`).
            batched.push(effect.error ? { ...effect.payload, error: effect.error } : effect.payload);
            continue;
          }
          const msg: NodeMessage = { topic: effect.payload.deviceId ?? undefined, payload: effect.payload };
          if (effect.error) msg.error = effect.error;
          outcomes.push(msg);
        } else if (effect.kind === 'feedback') {
          // Output 3: one message per correction, ready for model-train (docs/nodes/actuator-command.md, Corrections).
          feedback.push({ topic: effect.payload.deviceId, payload: effect.payload });
        } else {
          node.warn(effect.message);
        }
      }
      if (batched.length > 0) outcomes.push(batchMessage({}, batched));
      // Flows saved with two outputs wired keep working: nothing is sent on an output that has no wires.
      if (commands.length > 0 || outcomes.length > 0 || feedback.length > 0) send([commands, outcomes, feedback]);
    };

    const stateChanged = (effects: ActuatorEffect[] = []) => {
      status.update();
      // Urgent (saved within 50 ms): a command sent or a final outcome, which a kill -9 that forgot them would repeat
      // (the same command sent again by this node or, in a scale-out, by the shard's next owner).
      state.changed(effects.some((effect) => effect.kind === 'command' || (effect.kind === 'outcome' && FINAL_STATUSES.has(effect.payload.status))));
      armDeadline();
    };

    // Ack timeouts and retries run at the engine's next deadline, one timer at a time.
    const armDeadline = () => {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      deadlineTimer = undefined;
      const deadline = engine!.nextDeadline();
      if (deadline === undefined) return;
      deadlineTimer = setTimeout(() => {
        deadlineTimer = undefined;
        const effects = engine!.tick(Date.now());
        emit((m) => node.send(m), effects);
        stateChanged(effects);
      }, Math.max(0, deadline - Date.now(), notBefore - Date.now()));
    };

    const handle = (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      try {
        const effects = engine!.handle(msg, Date.now());
        countNoRule(msg, effects);
        emit(send, effects);
        stateChanged(effects);
        done();
      } catch (err) {
        done(err as Error);
      }
    };

    function countNoRule(msg: NodeMessage, effects: ActuatorEffect[]): void {
      if (noRule.unmatched < noRule.predictions) return;
      for (const effect of effects) {
        if (effect.kind !== 'outcome' || !PREDICTION_OUTCOMES.has(effect.payload.status)) continue;
        noRule.predictions++;
        if (effect.payload.status === 'suppressed' && effect.payload.detail === 'no-rule') noRule.unmatched++;
      }
      if (noRule.unmatched < noRule.predictions || noRule.labels.length >= NO_RULE_LABELS) return;
      const payloads = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      for (const payload of payloads) {
        const prediction = (payload as { prediction?: { label?: unknown; value?: unknown } } | null)?.prediction;
        const label = prediction?.label ?? prediction?.value;
        const text = typeof label === 'string' || typeof label === 'number' ? JSON.stringify(String(label).slice(0, 40)) : undefined;
        if (text !== undefined && !noRule.labels.includes(text) && noRule.labels.length < NO_RULE_LABELS) noRule.labels.push(text);
      }
    }

    if (state.enabled) {
      state.load(
        (saved) => {
          engine = ActuatorEngine.restore(config, saved, deps, Date.now());
          notBefore = Date.now() + RESTART_GRACE_MS;
        },
        handle,
        () => stateChanged(),
      );
    } else {
      node.status({ fill: 'grey', shape: 'ring', text: RED._('actuator-command.status.ready') });
    }

    node.on('input', (msg, send, done) => state.accept(handle, msg, send, done));

    node.on('close', (_removed, done) => {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      deadlineTimer = undefined;
      status.close();
      state.close(done);
    });
  }
  RED.nodes.registerType('actuator-command', ActuatorCommandNode);
};
