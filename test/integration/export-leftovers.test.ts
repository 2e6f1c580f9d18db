import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeExportLeftovers } from '../../src/io/files/export-files.js';
import { runCli, tempDir } from '../helpers/harness.js';

/** What a killed export leaves: `writeFileAtomic`'s temp name, never renamed into place. */
function leaveTemp(dir: string, name: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `.${name}.tmp-0123456789abcdef`);
  fs.writeFileSync(file, 'communicationActionId,...\n1,+447700900123\n');
  return file;
}

describe("a killed export's temp files", () => {
  it('are removed by the next export, at every depth, and nothing else is', async () => {
    const local = tempDir();
    const exportsDir = path.join(local, 'exports');
    const temps = [
      leaveTemp(path.join(exportsDir, 'sends'), 'sends-2021-01-28.csv'),
      leaveTemp(exportsDir, 'manifest.json'),
      leaveTemp(path.join(exportsDir, 'deep', 'dt=2021-01-28'), 'sends-2021-01-28.parquet'),
    ];
    // Names that only look alike stay: an operator's own files under export.dir are theirs.
    const keep = [
      path.join(exportsDir, 'sends', 'notes.tmp-0123456789abcdef'),
      path.join(exportsDir, 'sends', '.sends.csv.tmp-short'),
      path.join(exportsDir, '.hidden'),
    ];
    for (const k of keep) fs.writeFileSync(k, 'mine');
    const configFile = path.join(local, 'config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        sftp: { username: 'nobody' },
        database: { path: path.join(local, 'webio.sqlite') },
        export: { dir: exportsDir },
      }),
    );
    const r = await runCli(['export', '--config', configFile, '--date', '2021-01-28']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const t of temps) expect(fs.existsSync(t), t).toBe(false);
    for (const k of keep) expect(fs.readFileSync(k, 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(exportsDir, 'sends', 'sends-2021-01-28.csv'))).toBe(true);
  });

  it('are nothing to remove under a folder that does not exist yet', async () => {
    expect(await removeExportLeftovers(path.join(tempDir(), 'missing'))).toEqual([]);
  });
});
