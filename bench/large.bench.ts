import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxModel } from '../src/core/onnx/onnxModel';
import { dataTypeName, isFloatType } from '../src/core/onnx/dataType';
import { runCli, type BenchRow } from './harness';
import { largeModel } from './largeModel';
import type { BenchContext } from './run';

const MiB = 2 ** 20;

/**
 * Issue 12's > 2 GiB model end to end, each step a CLI command as a user runs it: inspect, importance on 8 samples,
 * and a data-driven apply to 11 layers × width 1024 (importance on 8 samples of text, blocks by the paper's magnitude
 * rule, verification losses of parent, child and random init), the child staying float16.
 */
export async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  const model = largeModel(ctx);
  const parentMiB = (fs.statSync(model).size + fs.statSync(`${model}.data`).size) / MiB;
  const kjv = path.join(__dirname, '..', 'examples', 'kjv-gpt2', 'kjv.txt');
  const out = path.join(ctx.dataDir, 'large-out');
  const report = path.join(ctx.dataDir, 'large.importance.json');
  const cli = (...args: string[]) => runCli(args);
  const inspect = await cli('inspect', model);
  const importance = await cli('importance', model, '--data', kjv, '--samples', '8', '--seq', '256', '--out', report, '--overwrite', '--provider', 'cpu');
  fs.rmSync(out, { recursive: true, force: true });
  const apply = await cli('apply', model, '--layers', '11', '--dim', '1024', '--data', kjv, '--samples', '8', '--verify-samples', '8', '--blocks', 'magnitude', '--out', out, '--provider', 'cpu', '--json');
  const p = JSON.parse(apply.value.stdout) as { modelFile: string; parameters: number; verification: { parent: number; child: number; randomInit: number } | null };
  const childMiB = folderBytes(out) / MiB;
  const childWeights = weightTypes(p.modelFile);
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(report, { force: true });
  const ofParent = (rss: number) => `${(rss / parentMiB).toFixed(2)}× the parent`;
  const v = p.verification;
  return [
    { group: 'large', what: `inspect, 1.1B-param LLaMA fp16 (${parentMiB.toFixed(0)} MiB, external data)`, seconds: inspect.seconds, peakRssMiB: inspect.peakRssMiB, target: ofParent(inspect.peakRssMiB) },
    { group: 'large', what: 'importance, 8×256 tokens of text', seconds: importance.seconds, peakRssMiB: importance.peakRssMiB, target: ofParent(importance.peakRssMiB), note: 'read + recognize + calibration + report' },
    {
      group: 'large',
      what: `apply → 11L×1024 on text, blocks by magnitude, verified (${(p.parameters / 1e6).toFixed(0)}M params, ${childMiB.toFixed(0)} MiB child, weights ${childWeights})`,
      seconds: apply.seconds,
      peakRssMiB: apply.peakRssMiB,
      target: ofParent(apply.peakRssMiB),
      note: v ? `held-out loss parent ${v.parent.toFixed(3)}, child ${v.child.toFixed(3)}, random init ${v.randomInit.toFixed(3)}` : 'NOT VERIFIED',
    },
  ];
}

function folderBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
}

/** The element types of the float weights a model stores, e.g. "float16" (the child must keep the parent's). */
function weightTypes(file: string): string {
  const model = OnnxModel.load(file);
  try {
    const types = new Set(model.graph.initializer.filter((t) => isFloatType(t.dataType)).map((t) => dataTypeName(t.dataType)));
    return [...types].sort().join('+');
  } finally {
    model.close();
  }
}
