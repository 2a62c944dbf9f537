// Times the subcloning proper on a model already read and scored: selection, surgery (slicing, scaling, constant
// rewrite, block removal) and writing the child; recognition and data-free importance run first, untimed.
import * as fs from 'node:fs';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { analyzeModel } from '../../src/core/recognize/recognize';
import { computeImportance } from '../../src/core/importance/computeImportance';
import { writeModel } from '../../src/core/onnx/writeModel';
import { selectWidths } from '../../src/core/subclone/widthSelection';
import { buildChild } from '../../src/core/subclone/surgery';
import { reportTask } from '../harness';

const [source, out, layers, dModel, heads, ffn] = process.argv.slice(2);
async function main(): Promise<void> {
  const model = OnnxModel.load(source);
  const { map } = await analyzeModel(model);
  const report = await computeImportance(model, map, { data: { kind: 'weights' } });
  fs.rmSync(out, { force: true });
  const shape = { layers: Number(layers), dModel: Number(dModel), heads: Number(heads), kvHeads: Number(heads), ffn: Number(ffn) };
  const blocks = Array.from({ length: shape.layers }, (_, i) => i);
  await reportTask(() => {
    const scores = { embeddingRanking: report.embedding.ranking, ffn: report.ffn, heads: report.heads, kvGroups: report.kvGroups };
    const child = buildChild(model, map, { blocks, keep: selectWidths(map, shape, scores, blocks) });
    return writeModel(child.model, out).bytes;
  });
}
void main();
