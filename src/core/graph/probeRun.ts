import * as ort from 'onnxruntime-node';
import { errorLine } from '../errors';

/** What a probe run saw for one value. */
export interface ProbedValue {
  dims: number[];
  /** ORT type name ('float32', 'int64', …). */
  type: string;
  /** The content, for small integer/bool tensors and scalars (shape plumbing, masks' shapes are enough). */
  values?: number[];
}

/** One input of a probe run, as plain data (the probe process receives it over IPC, by structured clone). */
export interface ProbeFeed {
  name: string;
  type: ort.Tensor.Type;
  dims: number[];
  data: ort.Tensor.DataType;
}

/** The probe process's input: the stripped model (every value an output) and its inputs. */
export interface ProbeTask {
  model: Uint8Array;
  feeds: ProbeFeed[];
}

/** What the probe process sends back: every value's shape, or why onnxruntime could not load or run the model. */
export type ProbeReply =
  | { ok: true; values: [string, ProbedValue][] }
  | { ok: false; stage: 'load' | 'run'; message: string };

/** Values this small are returned whole (shape plumbing, scalars); of larger ones, the shape and type. */
const PROBE_VALUES = 64;

/** Runs the probe model once with every output fetched, and describes each output and input. */
export async function runProbe(task: ProbeTask): Promise<ProbeReply> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(task.model, {
      graphOptimizationLevel: 'disabled',
      // Weights materialise one at a time; without a memory pattern or arena each is freed after its last use.
      enableCpuMemArena: false,
      enableMemPattern: false,
      // Fatal only: a failed run comes back as the reply; onnxruntime's own log line would repeat it on stderr.
      logSeverityLevel: 4,
    });
  } catch (e) {
    return { ok: false, stage: 'load', message: errorLine(e) };
  }
  try {
    const feeds = Object.fromEntries(task.feeds.map((f) => [f.name, new ort.Tensor(f.type, f.data, f.dims)]));
    const results = await session.run(feeds);
    return { ok: true, values: [...Object.entries(results), ...Object.entries(feeds)].map(([name, t]) => [name, describe(t)]) };
  } catch (e) {
    return { ok: false, stage: 'run', message: errorLine(e) };
  } finally {
    await session.release();
  }
}

function describe(t: ort.Tensor): ProbedValue {
  const out: ProbedValue = { dims: [...t.dims], type: t.type };
  if (t.size <= PROBE_VALUES && t.type !== 'string') {
    out.values = Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
  }
  return out;
}
