import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTask, type BenchRow } from './harness';
import type { BenchContext } from './run';

interface StepResult {
  stepSeconds: number;
  forwardSeconds: number;
  ratio: number;
  graphSeconds: number;
  optimizerSeconds: number;
  buildSeconds: number;
  trainNodes: number;
}

/** The pretrained parent (the shared fixture when present, else the identical example in the repo). */
function parentModel(): string {
  const shared = path.resolve(__dirname, '..', '..', 'shared', 'fixtures', 'parent', 'parent-op17.onnx');
  const example = path.join(__dirname, '..', 'examples', 'kjv-gpt2', 'model.onnx');
  return fs.existsSync(shared) && fs.existsSync(path.join(path.dirname(shared), 'kjv.txt')) ? shared : example;
}

/** One training step next to one forward pass of the same model and batch (16 × 128), on the CPU. */
export async function rows(_ctx: BenchContext): Promise<BenchRow[]> {
  const model = parentModel();
  const forward = await runTask<{ seconds: number }>('trainForward', [model]);
  const step = await runTask<StepResult>('trainStep', [model]);
  const s = step.value;
  return [
    { group: 'train', what: 'forward pass, parent 16×128 (cpu)', seconds: forward.value.seconds, peakRssMiB: forward.peakRssMiB },
    {
      group: 'train',
      what: 'training step, parent 16×128 (fwd+bwd+AdamW, cpu)',
      seconds: s.stepSeconds,
      peakRssMiB: step.peakRssMiB,
      baseline: 'forward (same process, interleaved)',
      ratio: s.ratio,
      target: '≤ 3.5×',
      note: `forward ${s.forwardSeconds.toFixed(3)} s there; graph run ${s.graphSeconds.toFixed(3)} s + clip/AdamW ${s.optimizerSeconds.toFixed(3)} s; ${s.trainNodes} nodes built in ${s.buildSeconds.toFixed(1)} s`,
    },
  ];
}
