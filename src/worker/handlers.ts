import { OnnxModel } from '../core/onnx/onnxModel';
import { summarizeModel } from '../core/onnx/modelSummary';
import type { ProviderPreference } from '../core/runtime/executionProvider';
import type { MethodName, Params, Result } from '../protocol/workerProtocol';

/** What a handler gets to report progress and see cancellation. */
export interface CallContext {
  signal: AbortSignal;
  provider: ProviderPreference;
  progress(fraction: number | undefined, message: string): void;
  notice(message: string): void;
}

type Handlers = { [M in MethodName]: (params: Params<M>, ctx: CallContext) => Promise<Result<M>> };

export const handlers: Handlers = {
  async summarize({ file }) {
    const model = OnnxModel.load(file);
    try {
      return summarizeModel(model);
    } finally {
      model.close();
    }
  },
};
