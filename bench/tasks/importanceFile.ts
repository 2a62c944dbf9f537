// Neuron importance as `subclone importance` computes it, reading the calibration text from its file:
//   importanceFile <model> <text> <samples> <seq>
// Everything is timed: reading the model, recognition, the text, the calibration batches and the report.
import { computeImportance } from '../../src/core/importance/computeImportance';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { recognize } from '../../src/core/recognize/recognize';
import { reportTask } from '../harness';

const [modelFile, data, samples, seq] = process.argv.slice(2);
void reportTask(async () => {
  const model = OnnxModel.load(modelFile);
  try {
    const map = await recognize(model);
    const report = await computeImportance(model, map, { data: { kind: 'path', path: data }, samples: Number(samples), sequenceLength: Number(seq), provider: 'cpu' });
    return report.calibration.tokens;
  } finally {
    model.close();
  }
});
