/**
 * The keys of a launchd job that launchd.plist(5) documents, with the type the man page gives
 * each, and a check of a generated plist against them: every key documented, every value of its
 * type. The tests run every generated plist through it (launchd itself cannot run here).
 */

type KeyType = 'string' | 'boolean' | 'integer' | 'array' | 'dictionary' | 'string-array' | 'integer-dictionary' | 'string-dictionary';

/** Top-level keys of launchd.plist(5) (as of macOS 14) and their types; some allow two. */
export const LAUNCHD_KEYS: Record<string, KeyType[]> = {
  Label: ['string'],
  Disabled: ['boolean'],
  UserName: ['string'],
  GroupName: ['string'],
  inetdCompatibility: ['dictionary'],
  LimitLoadToHosts: ['string-array'],
  LimitLoadFromHosts: ['string-array'],
  LimitLoadToSessionType: ['string', 'string-array'],
  LimitLoadToHardware: ['dictionary'],
  LimitLoadFromHardware: ['dictionary'],
  Program: ['string'],
  BundleProgram: ['string'],
  ProgramArguments: ['string-array'],
  EnableGlobbing: ['boolean'],
  EnableTransactions: ['boolean'],
  EnablePressuredExit: ['boolean'],
  OnDemand: ['boolean'],
  ServiceIPC: ['boolean'],
  KeepAlive: ['boolean', 'dictionary'],
  RunAtLoad: ['boolean'],
  RootDirectory: ['string'],
  WorkingDirectory: ['string'],
  EnvironmentVariables: ['string-dictionary'],
  Umask: ['integer'],
  TimeOut: ['integer'],
  ExitTimeOut: ['integer'],
  ThrottleInterval: ['integer'],
  InitGroups: ['boolean'],
  WatchPaths: ['string-array'],
  QueueDirectories: ['string-array'],
  StartOnMount: ['boolean'],
  StartInterval: ['integer'],
  StartCalendarInterval: ['integer-dictionary', 'array'],
  StandardInPath: ['string'],
  StandardOutPath: ['string'],
  StandardErrorPath: ['string'],
  Debug: ['boolean'],
  WaitForDebugger: ['boolean'],
  SoftResourceLimits: ['integer-dictionary'],
  HardResourceLimits: ['integer-dictionary'],
  Nice: ['integer'],
  ProcessType: ['string'],
  AbandonProcessGroup: ['boolean'],
  LowPriorityIO: ['boolean'],
  LowPriorityBackgroundIO: ['boolean'],
  MaterializeDatalessFiles: ['boolean'],
  LaunchOnlyOnce: ['boolean'],
  MachServices: ['dictionary'],
  Sockets: ['dictionary'],
  LaunchEvents: ['dictionary'],
  HopefullyExitsLast: ['boolean'],
  HopefullyExitsFirst: ['boolean'],
  SessionCreate: ['boolean'],
  LegacyTimers: ['boolean'],
  AssociatedBundleIdentifiers: ['string', 'string-array'],
};

/** The keys of KeepAlive's dictionary form, of the resource limits, and of a calendar interval. */
export const KEEP_ALIVE_KEYS: Record<string, KeyType[]> = {
  SuccessfulExit: ['boolean'],
  NetworkState: ['boolean'],
  PathState: ['dictionary'],
  OtherJobEnabled: ['dictionary'],
  Crashed: ['boolean'],
  AfterInitialDemand: ['dictionary'],
};
export const RESOURCE_LIMIT_KEYS = ['Core', 'CPU', 'Data', 'FileSize', 'MemoryLock', 'NumberOfFiles', 'NumberOfProcesses', 'ResidentSetSize', 'Stack'];
export const CALENDAR_KEYS = ['Minute', 'Hour', 'Day', 'Weekday', 'Month'];

const isDict = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);

function fits(value: unknown, type: KeyType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'dictionary':
      return isDict(value);
    case 'string-array':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'integer-dictionary':
      return isDict(value) && Object.values(value).every((v) => Number.isInteger(v));
    case 'string-dictionary':
      return isDict(value) && Object.values(value).every((v) => typeof v === 'string');
  }
}

/** What is wrong with a job's plist (empty: every key documented and of its type). */
export function checkLaunchdJob(job: unknown): string[] {
  if (!isDict(job)) return ['the plist is not a dictionary'];
  const problems: string[] = [];
  const check = (where: string, value: unknown, types: KeyType[] | undefined) => {
    if (!types) problems.push(`${where} is not a key launchd.plist(5) documents`);
    else if (!types.some((t) => fits(value, t))) problems.push(`${where} must be ${types.join(' or ')}`);
  };
  for (const [key, value] of Object.entries(job)) check(key, value, LAUNCHD_KEYS[key]);
  if (typeof job.Label !== 'string' || !job.Label) problems.push('Label is required');
  if (job.Program === undefined && !Array.isArray(job.ProgramArguments)) problems.push('Program or ProgramArguments is required');
  if (isDict(job.KeepAlive)) for (const [k, v] of Object.entries(job.KeepAlive)) check(`KeepAlive.${k}`, v, KEEP_ALIVE_KEYS[k]);
  for (const limits of ['SoftResourceLimits', 'HardResourceLimits']) {
    const d = job[limits];
    if (isDict(d)) for (const k of Object.keys(d)) if (!RESOURCE_LIMIT_KEYS.includes(k)) problems.push(`${limits}.${k} is not a resource limit launchd.plist(5) documents`);
  }
  const cal = job.StartCalendarInterval;
  for (const entry of Array.isArray(cal) ? cal : cal === undefined ? [] : [cal]) {
    if (!isDict(entry)) problems.push('StartCalendarInterval entries must be dictionaries');
    else for (const [k, v] of Object.entries(entry)) if (!CALENDAR_KEYS.includes(k) || !Number.isInteger(v)) problems.push(`StartCalendarInterval.${k} must be one of ${CALENDAR_KEYS.join(', ')} with an integer`);
  }
  return problems;
}
