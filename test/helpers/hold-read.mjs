// Holds a read transaction open on a store until killed, as a BI tool or a slow `status`
// might:  node hold-read.mjs DATABASE
// Prints "reading PID" once its snapshot is taken.
import Database from 'better-sqlite3';

// Kept referenced: a connection nobody refers to is collected (Node 22 does it soon enough),
// closed by its finalizer, and the read transaction ends with it.
const db = new Database(process.argv[2], { readonly: true, fileMustExist: true });
globalThis.reader = db;
db.exec('BEGIN');
db.prepare('SELECT count(*) AS n FROM sends').get();
process.stdout.write(`reading ${process.pid}\n`);
setInterval(() => {}, 1 << 30);
