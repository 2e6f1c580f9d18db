import Database from 'better-sqlite3';

/** Everything a run leaves in the store that must not depend on crashes: rows, ledger, files. */
export function dumpStore(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const q = (sql: string) => db.prepare(sql).all();
    return {
      sends: q(
        `SELECT communication_action_id, conversation_id, outbound_channel_address, inbound_channel_address, customer_uid, body, status_code, date_created, date_ms, conflicts FROM sends ORDER BY 1`,
      ),
      inbound: q(
        `SELECT communication_action_id, conversation_id, body, date_created, date_ms, conflicts FROM inbound ORDER BY 1`,
      ),
      statuses: q(
        `SELECT communication_action_id, status_code, date_created, conflicts FROM statuses ORDER BY 1, 2`,
      ),
      ledger: q(`SELECT payload_hash, type, outcome FROM raw_events ORDER BY 1`),
      files: q(`SELECT name, outcome, finish FROM files ORDER BY 1`),
      quarantine: q(`SELECT name, reason FROM quarantine ORDER BY 1`),
    };
  } finally {
    db.close();
  }
}
