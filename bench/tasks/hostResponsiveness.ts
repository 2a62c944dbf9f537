// The model worker (dist/worker.js) computing importance while this thread — standing in for the extension host,
// which talks to the same worker through the same client — measures its own event-loop delay. Args: <model.onnx>
// <text> <samples>. Prints the delay's max and p99 and the worker's wall time.
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WorkerClient } from '../../src/worker/workerClient';
import { reportTask } from '../harness';

const [model, data, samples] = process.argv.slice(2);
void reportTask(async () => {
  const client = new WorkerClient(path.join(__dirname, '..', '..', 'dist', 'worker.js'));
  try {
    await client.call('summarize', { file: model }); // the worker and onnxruntime loaded first, as in the extension
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const t0 = performance.now();
    let progress = 0;
    await client.call('importance', { file: model, data, samples: Number(samples) }, { onProgress: () => progress++ });
    const seconds = (performance.now() - t0) / 1000;
    histogram.disable();
    return { seconds, maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, progress };
  } finally {
    await client.dispose();
  }
});
