/**
 * JSON Schema of the model file (format `iot-ai/random-forest@1`), compiled once with ajv.
 *
 * The schema checks shape and types; what it cannot say (array lengths that must agree, indices in range, no
 * cycles, featureNames matching the forest) is checked in model-file.ts.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';

export const MODEL_FORMAT = 'iot-ai/random-forest@1';

const numberArray = { type: 'array', items: { type: 'number' } } as const;
const integerArray = { type: 'array', items: { type: 'integer' } } as const;
/** ISO 8601 date-time with a zone, as Date#toISOString writes it (offsets accepted too). */
const CREATED_AT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$';
/** Most per-device parts one anomaly model file may hold. */
export const MAX_DEVICE_PARTS = 10_000;

export const modelFileSchema = {
  $id: 'https://iot-ai.dev/schemas/random-forest-1.json',
  title: 'iot-ai random-forest model file',
  type: 'object',
  // `forest` is required by the last rule of allOf: every model but a robust-z (or per-device only) anomaly model has one.
  required: ['format', 'task', 'name', 'version', 'createdAt', 'featureNames', 'metrics'],
  properties: {
    format: { const: MODEL_FORMAT },
    task: { enum: ['classification', 'regression', 'anomaly'] },
    name: { type: 'string', minLength: 1 },
    version: { type: 'string', minLength: 1 },
    createdAt: {
      type: 'string',
      // ISO 8601 date-time with a zone, as Date#toISOString writes it (offsets accepted too).
      pattern: CREATED_AT_PATTERN,
    },
    featureNames: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
    labels: { type: 'array', minItems: 1, uniqueItems: true, items: { type: ['string', 'number'] } },
    metrics: { type: 'object' },
    params: { type: 'object' },
    dataHash: { type: 'string', pattern: '^(sha256:)?[0-9a-f]{64}$' },
    importances: { type: 'object', additionalProperties: { type: 'number' } },
    description: { type: 'string' },
    // Imported models: where the trees came from (docs/model-format.md#boosted-forests).
    source: { type: 'object', required: ['library'], properties: { library: { type: 'string', minLength: 1 } } },
    // Forecast models: how far ahead the label lies, in ms (docs/model-format.md#forecasts).
    horizon: { type: 'number', exclusiveMinimum: 0 },
    // Regression forecasts: the change learnt from a feature, and the interval's calibration (docs/model-format.md#forecasts).
    forecast: {
      type: 'object',
      properties: {
        changeFrom: { type: 'string', minLength: 1 },
        interval: {
          type: 'object',
          required: ['method', 'quantiles', 'coverage', 'margin', 'rows'],
          properties: {
            method: { const: 'cqr' },
            quantiles: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0, maximum: 1 } },
            coverage: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
            margin: { type: 'number' },
            rows: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    // The feature-window properties the training windows were computed with (docs/model-format.md#the-training-window).
    window: {
      type: 'object',
      properties: {
        window: { enum: ['tumbling', 'sliding', 'session'] },
        unit: { enum: ['ms', 's', 'min', 'count'] },
        size: { type: 'number', exclusiveMinimum: 0 },
        slide: { type: 'number', exclusiveMinimum: 0 },
        gap: { type: 'number', exclusiveMinimum: 0 },
        sensors: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1 } },
        features: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1 } },
        timeZone: { type: 'string', minLength: 1 },
        bands: { type: 'string', minLength: 1, maxLength: 1000 },
        spectralPoints: { type: 'integer', minimum: 8, maximum: 4096 },
        fftCoefficients: { type: 'integer', minimum: 1, maximum: 32 },
      },
    },
    anomaly: { $ref: '#/$defs/anomaly' },
    sketch: { $ref: '#/$defs/sketch' },
    devices: {
      type: 'object',
      minProperties: 1,
      maxProperties: MAX_DEVICE_PARTS,
      propertyNames: { minLength: 1, maxLength: 1024 },
      additionalProperties: { $ref: '#/$defs/devicePart' },
    },
    forest: {
      type: 'object',
      if: { required: ['kind'] },
      then: { $ref: '#/$defs/treeForest' },
      else: { $ref: '#/$defs/mlRandomForest' },
    },
  },
  allOf: [
    {
      if: { properties: { task: { const: 'classification' } }, required: ['task'] },
      then: { required: ['labels'] },
    },
    {
      // An anomaly model has a shared part (`anomaly`), per-device parts (`devices`), or both.
      if: { properties: { task: { const: 'anomaly' } }, required: ['task'] },
      then: { anyOf: [{ required: ['anomaly'] }, { required: ['devices'] }] },
    },
    {
      // The forest is required but for a robust-z shared part, or a file of per-device parts only.
      if: {
        anyOf: [
          {
            properties: { anomaly: { type: 'object', properties: { method: { const: 'robust-z' } }, required: ['method'] } },
            required: ['anomaly'],
          },
          { required: ['devices'], not: { required: ['anomaly'] } },
        ],
      },
      else: { required: ['forest'] },
    },
  ],
  $defs: {
    anomaly: {
      type: 'object',
      required: ['method', 'threshold'],
      properties: {
        method: { enum: ['isolation-forest', 'robust-z'] },
        threshold: { type: 'number', minimum: 0, maximum: 1 },
        contamination: { type: 'number', minimum: 0, exclusiveMaximum: 0.5 },
        baseline: {
          type: 'object',
          required: ['center', 'scale'],
          properties: { center: numberArray, scale: numberArray },
        },
      },
    },
    sketch: {
      type: 'object',
      required: ['kind', 'rows', 'features'],
      properties: {
        kind: { const: 'iot-ai/quantile-sketch@1' },
        rows: { type: 'integer', minimum: 1 },
        bins: { type: 'integer', minimum: 2 },
        features: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'min', 'max', 'edges', 'proportions'],
            properties: {
              name: { type: 'string' },
              min: { type: 'number' },
              max: { type: 'number' },
              edges: numberArray,
              proportions: { type: 'array', minItems: 1, items: { type: 'number', minimum: 0, maximum: 1 } },
              // The share of training rows missing this feature (absent: 0).
              missing: { type: 'number', minimum: 0, maximum: 1 },
            },
          },
        },
      },
    },
    // One device's own baseline in an anomaly model: scored instead of the shared part for that deviceId.
    devicePart: {
      type: 'object',
      required: ['anomaly'],
      properties: {
        anomaly: { $ref: '#/$defs/anomaly' },
        forest: { $ref: '#/$defs/treeForest' },
        sketch: { $ref: '#/$defs/sketch' },
        metrics: { type: 'object' },
        createdAt: { type: 'string', pattern: CREATED_AT_PATTERN },
      },
    },
    treeForest: {
      type: 'object',
      required: ['kind', 'nFeatures', 'nClasses', 'trees'],
      properties: {
        kind: { const: 'iot-ai/trees@1' },
        nFeatures: { type: 'integer', minimum: 1 },
        nClasses: { type: 'integer', minimum: 0 },
        output: { const: 'path-length' },
        sampleSize: { type: 'integer', minimum: 2 },
        // Boosted forests (docs/model-format.md#boosted-forests): leaves are additive scores summed per output.
        boost: {
          type: 'object',
          required: ['link', 'base'],
          properties: {
            link: { enum: ['identity', 'logistic', 'softmax'] },
            base: { type: 'array', minItems: 1, items: { type: 'number' } },
            treeClass: integerArray,
            average: { type: 'boolean' },
            float32: { type: 'boolean' },
          },
        },
        trees: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['feature', 'threshold', 'left', 'right', 'value'],
            properties: {
              feature: integerArray,
              threshold: numberArray,
              left: integerArray,
              right: integerArray,
              value: numberArray,
              // 1 where a split sends a missing value left; absent: every missing value goes right.
              missingLeft: { type: 'array', items: { enum: [0, 1] } },
              // Training rows per node; explanations need it.
              cover: { type: 'array', items: { type: 'number', minimum: 0 } },
            },
          },
        },
      },
    },
    mlRandomForest: {
      type: 'object',
      required: ['name', 'baseModel'],
      properties: {
        name: { enum: ['RFClassifier', 'RFRegression'] },
        selectionMethod: { enum: ['mean', 'median'] },
        baseModel: {
          type: 'object',
          required: ['indexes', 'isClassifier', 'nEstimators', 'estimators'],
          properties: {
            indexes: { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: 0 } } },
            isClassifier: { type: 'boolean' },
            nEstimators: { type: 'integer', minimum: 1 },
            estimators: {
              type: 'array',
              minItems: 1,
              items: { type: 'object', required: ['root'], properties: { root: { $ref: '#/$defs/mlCartNode' } } },
            },
          },
        },
      },
    },
    mlCartNode: {
      type: 'object',
      if: { required: ['distribution'] },
      then: {
        properties: {
          distribution: {
            anyOf: [
              { type: 'number' },
              { type: 'array', items: { type: 'number' } },
              { type: 'array', minItems: 1, maxItems: 1, items: { type: 'array', items: { type: 'number' } } },
            ],
          },
        },
      },
      else: {
        required: ['splitColumn', 'splitValue', 'left', 'right'],
        properties: {
          splitColumn: { type: 'integer', minimum: 0 },
          splitValue: { type: 'number' },
          left: { $ref: '#/$defs/mlCartNode' },
          right: { $ref: '#/$defs/mlCartNode' },
        },
      },
    },
  },
} as const;

let compiled: ValidateFunction | null = null;

/** The compiled validator (compiled on first use, then shared). */
export function modelFileValidator(): ValidateFunction {
  if (compiled === null) {
    assertLocalRefs(modelFileSchema);
    // No loadSchema: ajv never fetches anything; strict mode rejects unknown keywords.
    // strictRequired is off: if/then blocks name properties that the outer schema defines.
    const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false, allowUnionTypes: true });
    compiled = ajv.compile(modelFileSchema);
  }
  return compiled;
}

let compiledSketch: ValidateFunction | null = null;

/** The validator of a training sketch alone (`$defs.sketch`): an ONNX graph's sketch file (import/graph-sketch.ts). */
export function sketchValidator(): ValidateFunction {
  if (compiledSketch === null) {
    const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false, allowUnionTypes: true });
    compiledSketch = ajv.compile({ $defs: { sketch: modelFileSchema.$defs.sketch }, $ref: '#/$defs/sketch' });
  }
  return compiledSketch;
}

/** Every $ref must point inside this schema: a model file is checked offline, always. */
function assertLocalRefs(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(assertLocalRefs);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && !(typeof value === 'string' && value.startsWith('#'))) {
        throw new Error(`model schema: remote $ref ${String(value)} is not allowed`);
      }
      assertLocalRefs(value);
    }
  }
}

/** One readable sentence for an ajv error: where (a JSON Pointer) and what. */
export function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath;
  let what = error.message ?? 'is invalid';
  if (error.keyword === 'enum') what += `: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'const') what += ` ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  if (error.keyword === 'additionalProperties') what += ` (${(error.params as { additionalProperty: string }).additionalProperty})`;
  return `${where} ${what}`;
}
