/**
 * The doctor (docs/doctor.md): `runDoctor` checks a stack (environment, config lint, connections,
 * logs), `writeBundle` writes a redacted support bundle, `profileService` samples a service's
 * processes and takes a V8 CPU profile of a Node one. Reached by surfaces through src/core/host.
 */
export { runDoctor, type DoctorOptions } from './run-doctor';
export { assertBundleName, writeBundle, type BundleEntry, type BundleInput } from './bundle';
export { profileService, DEFAULT_PROFILE_MS, type ProfileOptions } from './profile/run-profile';
