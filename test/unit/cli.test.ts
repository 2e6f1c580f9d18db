import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { output: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('the CLI', () => {
  it('exits 2 with one line for bad usage', async () => {
    const c = capture();
    expect(await main(['bogus'], c.output)).toBe(2);
    expect(c.err.join('\n')).toContain("unknown command 'bogus'");
    const d = capture();
    expect(await main(['export', '--from', '2021-03-02'], d.output)).toBe(2);
    expect(d.err).toEqual(['webio-reports: --from and --to go together']);
  });

  it('exits 2 listing every config problem by key path', async () => {
    const c = capture();
    expect(await main(['ingest', '--config', '/nonexistent/webio.json'], c.output)).toBe(2);
    expect(c.err).toEqual(['webio-reports: config file /nonexistent/webio.json does not exist']);
  });

  it('documents every command in --help', async () => {
    const c = capture();
    expect(await main(['--help'], c.output)).toBe(0);
    for (const cmd of [
      'ingest',
      'export',
      'run',
      'status',
      'doctor',
      'purge',
      'erase',
      'backup',
      'demo',
    ])
      expect(c.out.join('\n')).toContain(`  ${cmd} `);
  });
});
