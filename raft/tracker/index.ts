export { Inflights } from "./inflights";
export { Progress, ProgressState } from "./progress";
export { cloneTrackerConfig, emptyTrackerConfig, ProgressTracker } from "./tracker";
export type { ProgressMap, TrackerConfig } from "./tracker";
