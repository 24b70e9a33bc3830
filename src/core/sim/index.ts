export { parseSimConfig, SIM_LIMITS } from './config';
export type { RawSimConfig, SimConfig } from './config';
export { createScenario, deviceTopics, ingestSensors, Simulation, SCENARIO_MODELS, SIM_DEFAULTS } from './scenario';
export type { ScenarioOptions } from './scenario';
export { wideHeader, wideRow } from './rows';
export { MALFORMED_KINDS, SCENARIOS, SIM_FORMATS } from './types';
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
  Truth,
  TruthValue,
} from './types';
