// One forward pass of the parent at batch 16 × 128 in onnxruntime (its own optimised graph): median of 10 runs.
import { openSession } from '../../src/core/runtime/ortSession';
import { reportTask } from '../harness';
import { idsTensor, medianSeconds, textIds } from './trainShared';

const [modelFile] = process.argv.slice(2);
void reportTask(async () => {
  const { session, provider } = await openSession(modelFile, { provider: 'cpu' });
  const feeds = { input_ids: idsTensor(textIds(modelFile)) };
  const seconds = await medianSeconds(() => session.run(feeds), 10);
  await session.release();
  return { seconds, provider };
});
