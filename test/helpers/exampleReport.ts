import * as path from 'node:path';
import { importanceForFile } from '../../src/core/importance/importanceForFile';
import type { ImportanceReport } from '../../src/core/importance/report';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { recognize } from '../../src/core/recognize/recognize';
import type { TransformerMap } from '../../src/core/recognize/transformerMap';
import { copyExampleFiles } from './paths';

export interface ExampleReport {
  model: string;
  reportFile: string;
  report: ImportanceReport;
  map: TransformerMap;
}

/**
 * A private copy of the example parent (kjv-gpt2, 6 layers × 192) in `dir` with a real importance report beside
 * it, measured on `samples` sequences of its KJV text, and its recognised map.
 */
export async function exampleWithReport(dir: string, samples = 8): Promise<ExampleReport> {
  copyExampleFiles(dir);
  const model = path.join(dir, 'model.onnx');
  const { report, reportFile } = await importanceForFile({ model, data: { kind: 'path', path: path.join(dir, 'kjv.txt') }, samples, provider: 'cpu' });
  const m = OnnxModel.load(model);
  try {
    return { model, reportFile, report, map: await recognize(m) };
  } finally {
    m.close();
  }
}
