import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from './run';

/**
 * The > 2 GiB benchmark parent: a random-init LLaMA-style model of 1.1B parameters in float16 with external data
 * (TinyLlama's shape: 22 layers, width 2048, 32 heads / 4 KV heads, FFN 5632, vocab 32000), exported by PyTorch
 * through scripts/fixtures/make_llama_bench_model.py on first use (python3-torch, python3-onnx; ~10 GB of memory and
 * a few minutes) and cached in bench/.data. Never committed.
 */
export function largeModel(ctx: BenchContext): string {
  const dir = path.join(ctx.dataDir, 'llama-22x2048-fp16');
  const file = path.join(dir, 'model.onnx');
  if (!fs.existsSync(file) || !fs.existsSync(path.join(dir, 'model.onnx.data'))) {
    const script = path.join(__dirname, '..', 'scripts', 'fixtures', 'make_llama_bench_model.py');
    process.stderr.write(`bench: exporting the 1.1B-parameter model to ${dir} (one-off, a few minutes)…\n`);
    execFileSync('/usr/bin/python3', [script, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return file;
}
