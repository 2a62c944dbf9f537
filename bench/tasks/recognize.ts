// Reads a model (untimed), then recognises it: the timed part is recognition alone.
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { recognize } from '../../src/core/recognize/recognize';
import { reportTask } from '../harness';

const model = OnnxModel.load(process.argv[2]);
void reportTask(async () => {
  const map = await recognize(model);
  return { layers: map.dims.layers, groups: map.groups.length };
});
