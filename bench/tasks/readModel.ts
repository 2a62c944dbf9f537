// Reads a model and touches every weight byte (so lazily read external data is counted too).
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { reportTask } from '../harness';

void reportTask(() => {
  const model = OnnxModel.load(process.argv[2]);
  let sum = 0;
  for (const t of model.graph.initializer) for (const chunk of model.tensorChunks(t)) sum += chunk[chunk.length >> 1] ?? 0;
  return { initializers: model.graph.initializer.length, checksum: sum };
});
