import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestSummary } from '../pipeline/ingest/index.js';
import type { JobName } from './job-runner.js';

/** The jobs the metrics time and count by name (the `job` label). */
type MeteredJob = Extract<JobName, 'poll' | 'export'>;

/** The service's Prometheus metrics (names are a public contract: README, "Observability"). */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly events = new Counter({
    name: 'webio_reports_events_total',
    help: 'New events stored, by type (other-type events as "other")',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly duplicates = new Counter({
    name: 'webio_reports_duplicates_total',
    help: 'Events that repeated one already stored',
    registers: [this.registry],
  });
  private readonly conflicts = new Counter({
    name: 'webio_reports_conflicts_total',
    help: 'Events whose key was stored with different content (the first stored wins)',
    registers: [this.registry],
  });
  private readonly files = new Counter({
    name: 'webio_reports_files_total',
    help: 'Files taken from the SFTP folder, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'webio_reports_last_success_timestamp_seconds',
    help: 'When each job last succeeded (Unix seconds)',
    labelNames: ['job'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'webio_reports_job_duration_seconds',
    help: 'How long each run of a job took',
    labelNames: ['job'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  private readonly backlog = new Gauge({
    name: 'webio_reports_backlog_files',
    help: 'Matching files left in the folder after the last poll (too young, over maxFilesPerPoll, or unreadable and still within parseGraceSeconds)',
    registers: [this.registry],
  });

  private readonly failures = new Counter({
    name: 'webio_reports_job_failures_total',
    help: 'Failed runs of each job, by kind of failure (sftp-connect, store-sqlite-full, export-write, ...); the log has each message',
    labelNames: ['job', 'kind'],
    registers: [this.registry],
  });

  /** `exportOverdue` says, at each scrape, whether the due export is overdue (as /healthz). */
  constructor(exportOverdue: () => boolean = () => false) {
    new Gauge({
      name: 'webio_reports_export_overdue',
      help: '1 while the scheduled export that came due has not completed within its grace (15 min, or three poll intervals), across restarts; else 0',
      registers: [this.registry],
      collect() {
        this.set(exportOverdue() ? 1 : 0);
      },
    });
    // The event-loop delay is sampled every 100 ms (prom-client's default, 10 ms, wakes an idle
    // service 100 times a second for a figure scraped every 15 s or more).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    for (const t of ['messageSend', 'inboundMessage', 'messageStatusUpdate', 'other'])
      this.events.inc({ type: t }, 0);
    for (const o of ['ingested', 'quarantined']) this.files.inc({ outcome: o }, 0);
  }

  recordIngest(s: IngestSummary, nowMs: number): void {
    for (const [type, n] of Object.entries(s.newEvents)) this.events.inc({ type }, n);
    this.events.inc({ type: 'other' }, s.otherEvents);
    this.duplicates.inc(s.duplicates);
    this.conflicts.inc(s.conflicts);
    this.files.inc({ outcome: 'quarantined' }, s.quarantined.length);
    // `fetched` counts every committed file: ingested or quarantined.
    this.files.inc({ outcome: 'ingested' }, Math.max(0, s.fetched - s.quarantined.length));
    this.backlog.set(s.young + s.deferred + s.waiting.length);
    this.lastSuccess.set({ job: 'poll' }, nowMs / 1000);
    this.duration.observe({ job: 'poll' }, s.seconds);
  }

  /** A successful export. */
  recordExport(seconds: number, nowMs: number): void {
    this.duration.observe({ job: 'export' }, seconds);
    this.lastSuccess.set({ job: 'export' }, nowMs / 1000);
  }

  /** A failed run of `job`, by its kind (never its message: see service/failure-kind.ts). */
  recordFailure(job: MeteredJob, seconds: number, kind: string): void {
    this.duration.observe({ job }, seconds);
    this.failures.inc({ job, kind });
  }
}
