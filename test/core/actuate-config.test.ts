import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseActuatorConfig, type ActuatorConfig } from '../../src/core/actuate';

function parse(raw: Record<string, unknown>): ActuatorConfig {
  const result = parseActuatorConfig(raw);
  if (!result.ok) assert.fail(result.error);
  return result.config;
}

function parseError(raw: Record<string, unknown>): string {
  const result = parseActuatorConfig(raw);
  assert.equal(result.ok, false, 'expected a config error');
  return result.ok ? '' : result.error;
}

const rules = [{ label: 'hot', command: { state: 'ON' } }];

describe('actuate config', () => {
  it('fills defaults', () => {
    const config = parse({ rules });
    assert.equal(config.topic, '{deviceId}/set');
    assert.equal(config.replyTopic, '{topic}/reply');
    assert.equal(config.ack, 'none');
    assert.equal(config.limitMode, 'clamp');
    assert.equal(config.ackTimeout, 5000);
    assert.equal(config.retries, 0);
    assert.equal(config.cooldown, 0);
    assert.equal(config.hysteresis, 0);
    assert.equal(config.minConfidence, 0);
    assert.equal(config.onChangeOnly, false);
    assert.equal(config.maxPending, 1000);
    assert.equal(config.maxDevices, 10000);
    assert.equal(config.output, 'each', 'a flow saved without output sends one outcome per message');
    assert.equal(config.limits, undefined);
    assert.equal(config.validateCommand, undefined);
  });

  it('accepts numbers as numeric strings, blanks as defaults, and JSON properties as text (editor fields)', () => {
    const config = parse({
      rules: JSON.stringify([{ label: 1, above: '10', below: '', command: 'ON', topic: '' }]),
      cooldown: '1500',
      hysteresis: '0.5',
      minConfidence: '0.8',
      ackTimeout: '',
      retries: '2',
      onChangeOnly: 'true',
      limits: '{"min": 0, "max": "100"}',
      topic: '  ',
    });
    assert.deepEqual(config.rules, [{ label: '1', above: 10, command: 'ON' }]);
    assert.equal(config.cooldown, 1500);
    assert.equal(config.hysteresis, 0.5);
    assert.equal(config.minConfidence, 0.8);
    assert.equal(config.ackTimeout, 5000);
    assert.equal(config.retries, 2);
    assert.equal(config.onChangeOnly, true);
    assert.deepEqual(config.limits, { kind: 'every-number', range: { min: 0, max: 100 } });
    assert.equal(config.topic, '{deviceId}/set');
  });

  it('reads a node as the editor saves it in a flow (fixture)', () => {
    const saved = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'actuate', 'node-config-editor.json'), 'utf8'));
    const config = parse(saved as Record<string, unknown>);
    assert.deepEqual(config.rules, [
      { label: 'too-hot', command: { mode: 'cool', setpoint: '{value}' } },
      { below: 18, command: { mode: 'heat', setpoint: 21 } },
      { command: 'OFF', topic: 'home/{deviceId}/power' },
    ]);
    assert.equal(config.topic, 'home/{deviceId}/set');
    assert.equal(config.replyTopic, '{topic}/reply');
    assert.equal(config.cooldown, 30000);
    assert.equal(config.ack, 'mqtt5');
    assert.equal(config.retries, 2);
    assert.deepEqual(config.limits, { kind: 'per-field', fields: new Map([['setpoint', { min: 16, max: 28 }]]) });
  });

  it('tells the two forms of limits apart, even for a field called "min"', () => {
    const perField = parse({ rules, limits: { brightness: { min: 0, max: 254 }, min: { max: 3 } } });
    assert.equal(perField.limits?.kind, 'per-field');
    assert.deepEqual(perField.limits?.kind === 'per-field' && [...perField.limits.fields], [
      ['brightness', { min: 0, max: 254 }],
      ['min', { max: 3 }],
    ]);
    assert.equal(parse({ rules, limits: {} }).limits, undefined);
    assert.equal(parse({ rules, limits: '' }).limits, undefined);
  });

  it('refuses what cannot work, naming the property', () => {
    assert.match(parseError({}), /rules must be a list/);
    assert.match(parseError({ rules: [] }), /rules is empty/);
    assert.match(parseError({ rules: '[oops' }), /rules is not valid JSON/);
    assert.match(parseError({ rules: [{ label: 'x' }] }), /rules\[0\]\.command must be an object or a string/);
    assert.match(parseError({ rules: [{ command: '' }] }), /rules\[0\]\.command is empty/);
    assert.match(parseError({ rules: [{ command: [1, 2] }] }), /rules\[0\]\.command must be an object or a string/);
    assert.match(parseError({ rules: [{ above: 'warm', command: 'ON' }] }), /rules\[0\]\.above must be a number/);
    assert.match(parseError({ rules: [{ above: 20, below: 10, command: 'ON' }] }), /above \(20\) must be less than below \(10\)/);
    assert.match(parseError({ rules: [{ label: { a: 1 }, command: 'ON' }] }), /label must be a string or a number/);
    assert.match(
      parseError({ rules: [{ command: 'ON', topic: 'home/+/set' }] }),
      /rules\[0\]\.topic must not contain MQTT wildcards/,
    );
    assert.match(parseError({ rules, topic: 'home/#' }), /topic must not contain MQTT wildcards/);
    assert.match(parseError({ rules, ack: 'mqtt' }), /ack must be one of none, payload, mqtt5, state/);
    assert.match(parseError({ rules, limitMode: 'cut' }), /limitMode must be one of clamp, refuse/);
    assert.match(parseError({ rules, output: 'bulk' }), /output must be one of each, batch/);
    assert.match(parseError({ rules, cooldown: -1 }), /cooldown must be at least 0/);
    assert.match(parseError({ rules, minConfidence: 2 }), /minConfidence must be at most 1/);
    assert.match(parseError({ rules, ackTimeout: 0 }), /ackTimeout must be at least 1/);
    assert.match(parseError({ rules, retries: 1.5 }), /retries must be a whole number/);
    assert.match(parseError({ rules, retries: 11 }), /retries must be at most 10/);
    assert.match(parseError({ rules, hysteresis: 'wide' }), /hysteresis must be a number/);
    assert.match(parseError({ rules, limits: { min: 5, max: 1 } }), /limits: min \(5\) is greater than max \(1\)/);
    assert.match(parseError({ rules, limits: { level: {} } }), /limits\.level needs min, max or both/);
    assert.match(parseError({ rules, limits: { level: { low: 1 } } }), /limits\.level has unknown keys low/);
    assert.match(parseError({ rules, limits: [1, 2] }), /limits must be/);
  });

  it('needs object commands for ack "payload", which carries the correlation inside the command', () => {
    assert.match(
      parseError({ rules: [{ label: 'a', command: 'ON' }], ack: 'payload' }),
      /rules\[0\]\.command must be an object with ack "payload"/,
    );
    assert.match(parseError({ rules: [{ command: '{value}' }], ack: 'payload' }), /must be an object/);
    assert.equal(parse({ rules: [{ label: 'a', command: 'ON' }], ack: 'mqtt5' }).ack, 'mqtt5');
  });

  it('bounds command templates', () => {
    const huge = { text: 'x'.repeat(20000) };
    assert.match(parseError({ rules: [{ command: huge }] }), /larger than/);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { nested: deep };
    assert.match(parseError({ rules: [{ command: deep }] }), /nested deeper than 32/);
  });

  describe('commandSchema', () => {
    it('compiles a schema given as an object or as text', () => {
      const schema = { type: 'object', properties: { level: { type: 'number', maximum: 50 } } };
      for (const commandSchema of [schema, JSON.stringify(schema)]) {
        const validate = parse({ rules, commandSchema }).validateCommand;
        assert.ok(validate);
        assert.equal(validate({ level: 10 }), undefined);
        assert.match(validate({ level: 60 }) ?? '', /command\/level must be <= 50/);
      }
    });

    it('supports draft 2020-12 and 2019-09 schemas', () => {
      for (const dialect of ['https://json-schema.org/draft/2020-12/schema', 'https://json-schema.org/draft/2019-09/schema']) {
        const commandSchema = { $schema: dialect, type: 'object', required: ['state'] };
        const validate = parse({ rules, commandSchema }).validateCommand;
        assert.equal(validate?.({ state: 'ON' }), undefined);
        assert.match(validate?.({}) ?? '', /must have required property 'state'/);
      }
    });

    it('allows local $ref but never a remote one', () => {
      const local = {
        definitions: { level: { type: 'number', minimum: 0 } },
        type: 'object',
        properties: { level: { $ref: '#/definitions/level' } },
      };
      assert.match(parse({ rules, commandSchema: local }).validateCommand?.({ level: -1 }) ?? '', /must be >= 0/);
      assert.match(
        parseError({ rules, commandSchema: { properties: { a: { $ref: 'https://example.com/evil.json' } } } }),
        /only local \$ref .* found \/properties\/a\/\$ref = https:\/\/example\.com\/evil\.json/,
      );
      assert.match(parseError({ rules, commandSchema: { $ref: 'other.json#/x' } }), /only local \$ref/);
    });

    it('refuses invalid, oversized and over-deep schemas', () => {
      assert.match(parseError({ rules, commandSchema: { type: 'sometimes' } }), /commandSchema is not a valid JSON Schema/);
      assert.match(parseError({ rules, commandSchema: '{"type":' }), /commandSchema is not valid JSON/);
      assert.match(parseError({ rules, commandSchema: 42 }), /commandSchema must be a JSON Schema object/);
      const big = { enum: Array.from({ length: 20000 }, (_, i) => `value-${i}`) };
      assert.match(parseError({ rules, commandSchema: big }), /larger than 65536 bytes/);
      let deep: Record<string, unknown> = { type: 'object' };
      for (let i = 0; i < 40; i++) deep = { properties: { a: deep } };
      assert.match(parseError({ rules, commandSchema: deep }), /nested deeper/);
    });

    it('treats a blank schema as none', () => {
      assert.equal(parse({ rules, commandSchema: '' }).validateCommand, undefined);
      assert.equal(parse({ rules, commandSchema: null }).validateCommand, undefined);
    });
  });
});
