export { ActuatorEngine, SNAPSHOT_FORMAT } from './engine';
export type {
  ActuatorSnapshot,
  RefusedDetail,
  SnapshotDevice,
  SnapshotPending,
  SuppressedDetail,
  TimeoutDetail,
} from './engine';
export { ACTUATOR_DEFAULTS, parseActuatorConfig } from './config';
export type { ActuatorConfig, CommandValidator, ParseResult, RawActuatorConfig } from './config';
export type * from './types';
