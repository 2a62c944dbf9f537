/**
 * `npm run bench`: runs every benchmark group and prints one table. Each group lives in bench/<group>.bench.ts
 * and exports `rows(ctx)`. Usage: npm run bench [-- group ...]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTable, type BenchRow } from './harness';

export interface BenchContext {
  /** Where generated benchmark models live (git-ignored). */
  dataDir: string;
}

interface BenchModule {
  rows(ctx: BenchContext): Promise<BenchRow[]>;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort();
  const ctx: BenchContext = { dataDir: path.join(__dirname, '.data') };
  fs.mkdirSync(ctx.dataDir, { recursive: true });
  // Groups that run the CLI as users do (runCli) run the current sources' build.
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
  const rows: BenchRow[] = [];
  for (const f of files) {
    const group = f.replace(/\.bench\.ts$/, '');
    if (wanted.length && !wanted.includes(group)) continue;
    process.stderr.write(`bench: ${group}…\n`);
    const mod = (await import(path.join(__dirname, f))) as BenchModule;
    try {
      rows.push(...(await mod.rows(ctx)));
    } catch (e) {
      rows.push({ group, what: `FAILED: ${(e as Error).message}`, seconds: null, peakRssMiB: null });
    }
  }
  console.log(formatTable(rows));
}

void main();
