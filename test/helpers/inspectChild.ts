/**
 * The child process of InspectRunner: for each file it is sent, runs what `subclone inspect` runs in the core (read,
 * summarise, recognise, and the JSON and shapes the command prints) and replies how that ended.
 */
import { isSubcloneError } from '../../src/core/errors';
import { formatShape } from '../../src/core/onnx/valueInfo';
import { inspectModel } from '../../src/core/recognize/inspectModel';
import type { InspectOutcome, InspectReply, InspectRequest } from './inspectRunner';

async function inspect(file: string): Promise<InspectOutcome> {
  try {
    const { summary, map, unsupported } = await inspectModel(file);
    for (const v of [...summary.inputs, ...summary.outputs]) formatShape(v.shape);
    if (!map) return { kind: 'unsupported', message: unsupported ?? '' };
    JSON.stringify({ ...map, model: summary });
    return { kind: 'read', family: map.family };
  } catch (e) {
    if (isSubcloneError(e)) return { kind: 'rejected', code: e.code, message: e.message };
    return { kind: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

process.on('message', (request: InspectRequest) => {
  void inspect(request.file).then((outcome) => {
    const reply: InspectReply = { id: request.id, outcome };
    process.send?.(reply);
  });
});
