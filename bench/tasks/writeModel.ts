// Writes an already loaded model to a new file with the streaming writer; only the write is timed.
import * as fs from 'node:fs';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { writeModel } from '../../src/core/onnx/writeModel';
import { reportTask } from '../harness';

const [source, target, mode] = process.argv.slice(2);
const model = OnnxModel.load(source);
fs.rmSync(target, { force: true });
fs.rmSync(`${target}.data`, { force: true });
void reportTask(() => writeModel(model, target, { externalData: mode === 'external' }).bytes);
