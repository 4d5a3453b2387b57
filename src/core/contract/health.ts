/**
 * Health in the four levels monitoring tools use (OK, WARNING, CRITICAL, UNKNOWN; the CLI maps
 * them to exit codes 0, 1, 2, 3): per service and for the stack. Part of the contract.
 */
export const HEALTH_LEVELS = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export type HealthLevel = (typeof HEALTH_LEVELS)[number];

export interface ServiceHealth {
  service: string;
  level: HealthLevel;
  reason: string;
}

export interface StackHealth {
  level: HealthLevel;
  summary: string;
  services: ServiceHealth[];
}

/** Exit code of a health level: OK 0, WARNING 1, CRITICAL 2, UNKNOWN 3. */
export const exitCodeOf = (level: HealthLevel) => HEALTH_LEVELS.indexOf(level);
