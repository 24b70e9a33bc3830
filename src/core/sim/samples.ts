/**
 * The one source of what the sample flows (scripts/flows.js) and the bundled models (scripts/build-models.js) window:
 * each scenario's sensors, as the simulator makes them, and the features of each. test/core/sample-lists.test.ts
 * checks that flows/ and models/ agree with it.
 */
import { ingestSensors, SCENARIO_MODELS } from './scenario';
import type { ScenarioName } from './types';

/** The features every sample window computes of each sensor (the bundled models are trained on them). */
export const SAMPLE_FEATURES = ['mean', 'std', 'min', 'max', 'slope'] as const;

/**
 * The features of the sample flows' forecast window: the sample features and `calendar` (hour and weekday of the
 * window's end, UTC, as the simulator's rhythms run in UTC). The bundled forecast models are trained on them.
 */
export const FORECAST_FEATURES = [...SAMPLE_FEATURES, 'calendar'] as const;

/** A scenario's sensors as the sample flows' sensor-ingest lists them (`{ name, unit?, min, max }`). */
export function sampleSensors(scenario: ScenarioName): ReturnType<typeof ingestSensors> {
  return ingestSensors(scenario);
}

/** A scenario's sensor names, in the simulator's order. */
export function sampleSensorNames(scenario: ScenarioName): string[] {
  return SCENARIO_MODELS[scenario].sensors.map((sensor) => sensor.name);
}

/**
 * The simulator's truth field each sample prediction (and forecast) is scored against, by scenario and by the key
 * its flow publishes it under (iot-ai/<scenario>/predictions/<key>): npm start's summary and the dashboards use it.
 * Anomaly models answer anomaly/normal where the truth says true/false.
 */
export const SAMPLE_TRUTH: Readonly<Record<ScenarioName, Readonly<Record<string, string>>>> = {
  home: { occupancy: 'occupancy' },
  city: { congestion: 'congestion', air: 'airQuality' },
  health: { activity: 'activity', heart: 'abnormal' },
};

/**
 * The simulator's truth field each sample forecast is scored against, by the key its flow publishes it under
 * (iot-ai/<scenario>/forecasts/<key>): npm start's summary, the forecast tally and the dashboards use it.
 */
export const FORECAST_TRUTH: Readonly<Record<string, string>> = {
  occupancy: 'occupancy',
  congestion: 'congestion',
  air: 'airQuality',
  'heart-rate': 'heartRate',
};
