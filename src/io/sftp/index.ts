// The SFTP adapter: the real `Source` (source.ts), the session under it (connect.ts) and
// what its failures mean (errors.ts).
export { SftpSource } from './source.js';
export { fingerprintOf, keyTypeOf, type SftpSettings } from './connect.js';
export { SftpOpError } from './errors.js';
