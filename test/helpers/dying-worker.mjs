// A report thread that dies on its first job (see export-workers.test.ts).
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => process.exit(3));
