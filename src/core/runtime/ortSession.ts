import * as ort from 'onnxruntime-node';
import { SubcloneError, errorMessage } from '../errors';
import { CUDA_INSTALL_HINT, cudaProviderInstalled, type Provider, type ProviderPreference } from './executionProvider';

export interface SessionOptions {
  provider?: ProviderPreference;
  /** Threads for the CPU provider (default: onnxruntime's choice). */
  threads?: number;
  /** Graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's memory pattern (one pre-planned block for all of a run's activations; default on). */
  memoryPattern?: boolean;
  /** onnxruntime's pre-packing of MatMul weights into its kernels' layout (a second copy of them; default on). */
  prepacking?: boolean;
  /** Folder that external data locations resolve against when the model is given as bytes. */
  externalDataFolder?: string;
  /** Receives a one-line notice when CUDA was wanted but the CPU runs instead. */
  onNotice?: (message: string) => void;
}

export interface OpenSession {
  session: ort.InferenceSession;
  provider: Provider;
  /** Why CUDA is not used, when it was wanted. */
  notice?: string;
}

let cudaFailure: string | undefined;

/**
 * Creates an onnxruntime session on CUDA when asked and available, else on the CPU. With 'auto' a CUDA failure
 * falls back to the CPU and says why in `notice`; with 'cuda' it is an error.
 */
export async function openSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<OpenSession> {
  const preference = options.provider ?? 'auto';
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.optimization ?? 'all',
    logSeverityLevel: 3,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    ...(options.memoryPattern === false ? { enableMemPattern: false } : {}),
    extra: {
      session: {
        ...(options.externalDataFolder ? { model_external_initializers_file_folder_path: options.externalDataFolder } : {}),
        ...(options.prepacking === false ? { disable_prepacking: '1' } : {}),
      },
    },
  };
  let notice: string | undefined;
  if (preference !== 'cpu') {
    const failure = cudaFailure ?? (cudaProviderInstalled() ? undefined : 'the CUDA provider library is not installed');
    if (!failure) {
      try {
        const session = await create(model, { ...base, executionProviders: ['cuda'] });
        return { session, provider: 'cuda' };
      } catch (e) {
        cudaFailure = `CUDA failed to start: ${errorMessage(e)}`;
      }
    } else if (!cudaFailure) {
      cudaFailure = failure;
    }
    if (preference === 'cuda') {
      throw new SubcloneError('Runtime', `CUDA was requested but ${cudaFailure}. ${CUDA_INSTALL_HINT}`);
    }
    notice = `Running on CPU: ${cudaFailure}. ${CUDA_INSTALL_HINT}`;
    options.onNotice?.(notice);
  }
  const session = await create(model, { ...base, executionProviders: ['cpu'] });
  return notice ? { session, provider: 'cpu', notice } : { session, provider: 'cpu' };
}

async function create(model: Uint8Array | string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new SubcloneError('Runtime', `onnxruntime could not load the model: ${errorMessage(e)}`, { cause: e });
  }
}

/** Why CUDA is not used in this process, or undefined when it has not failed (yet). */
export function cudaUnavailableReason(): string | undefined {
  return cudaFailure ?? (cudaProviderInstalled() ? undefined : 'the CUDA provider library is not installed');
}

/** The provider a session would use now, without creating one (after a failed CUDA attempt, 'cpu'). */
export function expectedProvider(preference: ProviderPreference): Provider {
  if (preference === 'cpu') return 'cpu';
  return cudaFailure || !cudaProviderInstalled() ? 'cpu' : 'cuda';
}
