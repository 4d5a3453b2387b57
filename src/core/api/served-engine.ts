/**
 * What the control API serves: the contract's EngineLike (src/core/contract/engine.ts), of which
 * the features below may be missing — an engine built for a test, or scripts/gen-openapi.ts's
 * stub. A route whose member is missing answers 501 NOT_AVAILABLE. The API's metrics schema is
 * loose (any JSON object), so a served engine's metrics may be any object.
 */
import type { DoctorReport, ProfileReport } from '../contract/doctor';
import type { EngineLike, MaybePromise } from '../contract/engine';

type Feature = 'searchMemory' | 'metrics' | 'metricsHistory' | 'metricsRollups' | 'report' | 'listReports' | 'prometheus' | 'backups' | 'maintenance' | 'reload' | 'alerts';

export type ServedEngine = Omit<EngineLike, Feature> &
  Partial<Pick<EngineLike, Exclude<Feature, 'metrics'>>> & {
    metrics?(): MaybePromise<object>;
    /** The doctor (docs/doctor.md): the stack's checks, and a service's profile. */
    doctor?(opts: { services?: readonly string[] }): Promise<DoctorReport>;
    profileService?(service: string, opts: { durationMs?: number; cpuProfile?: boolean }): Promise<ProfileReport>;
  };
