export { ANOMALY_DURATIONS, ANOMALY_KINDS, ANOMALY_TRUTH_NAMES, MAX_ANOMALY_SHARE } from './anomalies';
export type { AnomalyKind } from './anomalies';
export { parseSimConfig, readingsPerSecond, SIM_BUDGET, SIM_LIMITS } from './config';
export type { ParseSimOptions, RawSimConfig, SimConfig } from './config';
export { createScenario, deviceTopics, ingestSensors, Simulation, SCENARIO_MODELS, SIM_DEFAULTS } from './scenario';
export type { ScenarioOptions, StepBudget } from './scenario';
export { wideHeader, wideRow } from './rows';
export { MALFORMED_KINDS, SCENARIOS, SIM_FORMATS, SIM_DEVICE_FORMATS, ALL_SIM_FORMATS } from './types';
export type {
  CommandMeta,
  CommandResult,
  DeviceState,
  MalformedKind,
  MeasuredValue,
  ScenarioName,
  SenmlRecord,
  SensorDef,
  SimFormat,
  SimPayload,
  SimReading,
  SimReply,
  SimStateReport,
  Truth,
  TruthValue,
} from './types';
export { FORECAST_FEATURES, FORECAST_TRUTH, SAMPLE_FEATURES, SAMPLE_TRUTH, sampleSensors, sampleSensorNames } from './samples';
export { OVERRIDE_CAUSES, PEOPLE_DELAYS, RETHINK_MS, household, preferredTemperature } from './people';
export type { OverrideCause, Person, PersonAct } from './people';
