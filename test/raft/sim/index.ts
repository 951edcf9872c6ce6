export { Simulation, SimulationFailure } from "./simulation";
export type { SimOptions, SimResult } from "./simulation";
export { SafetyViolation } from "./checker";
