// One training step of the parent at batch 16 × 128: forward + loss + backward in onnxruntime, global-norm
// clipping and the AdamW update. Median of 10 steps; the forward pass is timed interleaved with the steps in this
// process too, so the ratio compares the two under the same machine load.
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { openSession } from '../../src/core/runtime/ortSession';
import { AdamW, clipScale, globalNorm } from '../../src/core/train/adamw';
import type { Batch } from '../../src/core/train/batch';
import { trainingTargetFor } from '../../src/core/train/targetFor';
import { Trainer } from '../../src/core/train/trainer';
import { reportTask } from '../harness';
import { BATCH, SEQ, idsTensor, textIds } from './trainShared';

const [modelFile] = process.argv.slice(2);
void reportTask(async () => {
  const model = OnnxModel.load(modelFile);
  const target = await trainingTargetFor(model);
  const ids = textIds(modelFile);
  const targets = BigInt64Array.from(ids, (_, i) => ids[Math.min(i + 1, ids.length - 1)]);
  const batch: Batch = {
    inputs: { input_ids: idsTensor(ids) },
    targets: new ort.Tensor('int64', targets, [BATCH, SEQ]),
    weights: new ort.Tensor('float32', new Float32Array(BATCH * SEQ).fill(1 / (BATCH * SEQ)), [BATCH, SEQ]),
    tokens: BATCH * SEQ,
  };
  const built = performance.now();
  const trainer = await Trainer.create(model, target, batch, { provider: 'cpu' });
  const buildSeconds = (performance.now() - built) / 1000;
  const adam = new AdamW(trainer.trained.map((p) => ({ values: p.values, decay: true })));
  const parts = { graph: [] as number[], optimizer: [] as number[] };
  const step = async () => {
    const t0 = performance.now();
    const { grads } = await trainer.step(batch);
    const t1 = performance.now();
    adam.step(grads, 1e-5, clipScale(globalNorm(grads), 1));
    parts.graph.push(t1 - t0);
    parts.optimizer.push(performance.now() - t1);
  };
  const { session: forward } = await openSession(modelFile, { provider: 'cpu' });
  const fwd = () => forward.run({ input_ids: batch.inputs.input_ids });
  for (let i = 0; i < 2; i++) {
    await step();
    await fwd();
  }
  parts.graph.length = parts.optimizer.length = 0;
  const steps: number[] = [];
  const forwards: number[] = [];
  for (let i = 0; i < 10; i++) {
    let t0 = performance.now();
    await step();
    steps.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await fwd();
    forwards.push((performance.now() - t0) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  await forward.release();
  await trainer.release();
  return {
    stepSeconds: median(steps),
    forwardSeconds: median(forwards),
    ratio: median(steps.map((s, i) => s / forwards[i])),
    graphSeconds: median(parts.graph) / 1000,
    optimizerSeconds: median(parts.optimizer) / 1000,
    buildSeconds,
    trainNodes: trainer.graph.trainNodes,
  };
});
