/**
 * SQL fragments shared by the reports that need a send's final status (DESIGN.md "Delivery
 * outcomes"); `core/outcomes.ts` holds the same rules in TypeScript.
 */

/**
 * 0 delivered, 1 failed, 2 unconfirmed. `temp.status_class (code, rank)` holds the @delivered
 * (rank 0) and @failed (rank 1) codes: the store fills it from the parameters, so a lookup
 * per status is one index probe instead of a JSON parse.
 */
export const classRank = (code: string): string =>
  `coalesce((SELECT c.rank FROM temp.status_class c WHERE c.code = ${code}), 2)`;

/** The code as an integer when it is one ("-3", "10"), else NULL. */
const numericCode = (code: string): string =>
  `CASE WHEN (${code} GLOB '[0-9]*' AND ${code} NOT GLOB '*[^0-9]*')
          OR (${code} GLOB '-[0-9]*' AND substr(${code}, 2) NOT GLOB '*[^0-9]*')
        THEN CAST(${code} AS INTEGER) END`;

/**
 * The rowid of the final status of send `s`: latest dateCreated, then delivered before failed
 * before unconfirmed, then the smaller code as a number, non-numeric codes last, as text.
 */
export const FINAL_STATUS_ROWID = `(
  SELECT x.rowid FROM statuses x
   WHERE x.communication_action_id = s.communication_action_id
   ORDER BY x.date_ms DESC, ${classRank('x.status_code')},
            ${numericCode('x.status_code')} IS NULL, ${numericCode('x.status_code')}, x.status_code
   LIMIT 1)`;

/** Epoch ms of send `s`'s earliest delivered status, when its final status `f` is delivered. */
export const FIRST_DELIVERED_MS = `CASE WHEN ${classRank('f.status_code')} = 0 THEN (
  SELECT min(d.date_ms) FROM statuses d
    JOIN temp.status_class c ON c.code = d.status_code AND c.rank = 0
   WHERE d.communication_action_id = s.communication_action_id) END`;
