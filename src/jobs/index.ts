// The jobs: each wires the pipeline to the real store, server and files for one kind of run.
// Commands and the service reach the store, the SFTP server and the export files only through
// these (the logger, and for the service the metrics server, they use directly).
export { backupStore, planBackup, type BackupPlan, type BackupResult } from './backup.js';
export { doctorChecks, type Check } from './doctor.js';
export { eraseAndFinish, finishPendingErasure } from './erase.js';
export { exportOnce } from './export.js';
export { ingestOnce, keptSessions, type KeptSessions } from './ingest.js';
export { purgeOnce } from './purge.js';
export { collectStatus, readStatus, statusCodeCheck, type StatusReport } from './status.js';
export { openServiceStore, openStore, type ServiceStoreHandle, type StoreHandle } from './store.js';
