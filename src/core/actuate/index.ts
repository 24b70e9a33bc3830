export { ActuatorEngine, SNAPSHOT_FORMAT } from './engine';
export { MAX_ITEMS_PER_MESSAGE } from './input';
export type {
  ActuatorSnapshot,
  RefusedDetail,
  SnapshotDevice,
  SnapshotPending,
  SuppressedDetail,
  TimeoutDetail,
} from './engine';
export { ACTUATOR_DEFAULTS, parseActuatorConfig } from './config';
export type { ActuatorConfig, ActuatorConfigResult, CommandValidator, RawActuatorConfig } from './config';
export type * from './types';
export { BARE_FIELD, labelForChoice } from './corrections';
export type { AutomaticCommand, CorrectionSource, FeedbackEvent } from './corrections';
