/**
 * The byte check of the store's own files, in a process of its own (see
 * `scanFilesInChildProcess`): reads `{ files, key }` as JSON on stdin, writes the
 * ScanResult as JSON on stdout. The key comes on stdin, never in argv, where `ps` shows it.
 */
import { scanFilesForAddress } from './address-scan.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const { files, key } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
  files: string[];
  key: string;
};
process.stdout.write(JSON.stringify(await scanFilesForAddress(files, key)));
