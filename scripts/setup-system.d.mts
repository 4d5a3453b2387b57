// Types of setup-system.mjs for its TypeScript users (test/unit/setup-system.test.ts).
export const APT_PACKAGES: { name: string; why: string }[];
export const MACOS_NOTES: string[];
export function missingPackages(names: string[]): string[];
export function manualCommand(missing: string[]): string;
export function installMethod(
  missing: string[],
  opts?: { uid?: number; sudoWorks?: () => boolean },
): { prefix: string[]; error?: undefined } | { prefix?: undefined; error: string };
