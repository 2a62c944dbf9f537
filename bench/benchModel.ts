import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from './run';

/**
 * The ~400 MB GPT-2-sized benchmark parent (24 layers, width 512, vocab 50257), exported by PyTorch through
 * scripts/fixtures/make_bench_model.py on first use (needs Debian's python3-torch and python3-onnx) and cached in
 * bench/.data. It is never committed.
 */
export function benchModel(ctx: BenchContext): string {
  const dir = path.join(ctx.dataDir, 'gpt2-24x512');
  const file = path.join(dir, 'model.onnx');
  if (!fs.existsSync(file)) {
    const script = path.join(__dirname, '..', 'scripts', 'fixtures', 'make_bench_model.py');
    process.stderr.write(`bench: exporting the benchmark model to ${dir} (one-off, about a minute)…\n`);
    execFileSync('/usr/bin/python3', [script, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return file;
}
