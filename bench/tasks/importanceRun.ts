// One timed pass over the same calibration batches, in its own process (own peak RSS):
//   importanceRun <model> <text> <samples> <seq> <mode>
// mode: importance — computeImportance end to end (instrumenting, session, batches, report)
//       forward    — the plain model (all its outputs): session, then every batch
//       hidden     — the plain model cut at the last block's output (no LM head): session, then every batch
// Data loading and recognition are untimed. `runSeconds` is the batch loop alone (after the session is ready).
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { feedsSource, type Feeds } from '../../src/core/data/calibrationSource';
import { Graph } from '../../src/core/graph/graph';
import { calibrationFor } from '../../src/core/importance/calibrationFor';
import { computeImportance } from '../../src/core/importance/computeImportance';
import { openModelSession } from '../../src/core/runtime/modelSession';
import { OnnxModel } from '../../src/core/onnx/onnxModel';
import { ModelProtoSchema, ValueInfoProtoSchema } from '../../src/core/onnx/proto';
import { recognize } from '../../src/core/recognize/recognize';
import { openSession } from '../../src/core/runtime/ortSession';
import { reportTask } from '../harness';

const [modelFile, data, samples, seq, mode] = process.argv.slice(2);

async function main(): Promise<void> {
  const model = OnnxModel.load(modelFile);
  const map = await recognize(model);
  const source = calibrationFor(modelFile, map, { data: { kind: 'path', path: data }, samples: Number(samples), sequenceLength: Number(seq) });
  const batches: Feeds[] = [];
  for (let i = 0; i < source.batches; i++) batches.push(await source.batch(i));
  const tokens = batches.reduce((n, b) => n + b.input_ids.dims[0] * b.input_ids.dims[1], 0);
  let runSeconds = 0;
  const timeRuns = async (session: ort.InferenceSession) => {
    const start = performance.now();
    for (const feeds of batches) await session.run(feeds);
    runSeconds = (performance.now() - start) / 1000;
  };
  await reportTask(async () => {
    if (mode === 'importance') {
      let start = 0;
      await computeImportance(model, map, {
        data: { kind: 'source', source: feedsSource(batches, source.description) },
        provider: 'cpu',
        onProgress: (p) => {
          if (p.stage === 'calibration' && p.done === 0) start = performance.now();
          if (p.stage === 'calibration' && p.done === p.total) runSeconds = (performance.now() - start) / 1000;
        },
      });
    } else if (mode === 'forward') {
      const { session } = await openSession(modelFile, { provider: 'cpu' });
      await timeRuns(session);
      await session.release();
    } else {
      const cut = OnnxModel.fromProto(create(ModelProtoSchema, { ...model.proto, graph: { ...model.graph, output: [create(ValueInfoProtoSchema, { name: map.blocks[map.blocks.length - 1].output })] } }), model.baseDir, modelFile);
      new Graph(cut).cleanup();
      const { session } = await openModelSession(cut, { provider: 'cpu' });
      await timeRuns(session);
      await session.release();
    }
    return { tokens, batches: batches.length, runSeconds };
  });
}

void main();
