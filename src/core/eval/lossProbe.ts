import * as ort from 'onnxruntime-node';
import type { CalibrationSource, Feeds } from '../data/calibrationSource';
import { SubcloneError, throwIfAborted } from '../errors';
import { openModelSession } from '../runtime/modelSession';
import { PARTS_ABOVE_BYTES, partitionModel, runInParts, weightBytes } from '../runtime/modelParts';
import type { OnnxModel } from '../onnx/onnxModel';
import { valueSpec } from '../onnx/valueInfo';
import type { ProviderPreference } from '../runtime/executionProvider';
import type { TransformerMap } from '../recognize/transformerMap';
import { crossEntropy, distillationLossOf, floatOutput } from './modelLoss';
import { inputRoles } from '../data/inputRoles';
import { quote } from '../quote';
import { SpilledArrays } from './spilledArrays';
import { TOKEN_LOSS, TOKEN_LOSS_MIN_OPSET, tokenLossModel } from './tokenLossModel';

/**
 * A fixed set of calibration batches and the loss a model of the parent's family gets on them: next-token
 * cross-entropy for decoders with an LM head; otherwise the distance to the parent's own outputs (KL divergence
 * of logits, or mean squared error of the final hidden state on the kept embedding neurons).
 */
export interface LossProbe {
  metric: string;
  batches: number;
  /** Tokens (or images) scored. */
  count: number;
  loss(model: OnnxModel, keptD?: readonly number[], signal?: AbortSignal): Promise<number>;
  /** Frees the parent's reference outputs (a temporary file when they are large); no loss can be asked after. */
  close(): void;
}

export interface LossProbeOptions {
  provider?: ProviderPreference;
  /** Bytes of the parent's reference outputs kept in memory before they go to a temporary file. */
  spillAboveBytes?: number;
  /** Weight bytes above which a model's loss runs in parts one after the other (default PARTS_ABOVE_BYTES). */
  partsAboveBytes?: number;
  signal?: AbortSignal;
  onNotice?: (message: string) => void;
}

const CAUSAL: ReadonlySet<string> = new Set(['gpt2', 'gpt-neox', 'llama']);

export async function makeLossProbe(parent: OnnxModel, map: TransformerMap, source: CalibrationSource, o: LossProbeOptions = {}): Promise<LossProbe> {
  const batches: Feeds[] = [];
  for (let i = 0; i < source.batches; i++) {
    throwIfAborted(o.signal);
    batches.push(await source.batch(i));
  }
  const sessionOptions = { provider: o.provider ?? 'auto', ...(o.onNotice ? { onNotice: o.onNotice } : {}) };
  const head = map.final.head;
  const { ids, mask } = inputRoles(map.inputs.map((v) => ({ name: v.name, dtype: v.dtype, rank: v.shape?.length ?? 0 })));
  if (head?.kind === 'lm' && CAUSAL.has(map.family) && ids) {
    // Where a large model is cut: after the embedding and after a block (the residual stream), as recognised.
    const cuts = { first: map.embedding.output, blocks: map.blocks.map((b) => b.output), above: o.partsAboveBytes ?? PARTS_ABOVE_BYTES };
    let count = 0;
    for (const b of batches) count += nextTokenWeights(b, ids, mask).reduce((n, w) => n + w, 0);
    return {
      metric: 'next-token cross-entropy (nats/token)',
      batches: batches.length,
      count,
      async loss(model, _keptD, signal) {
        const inGraph = (model.opset('') ?? 0) >= TOKEN_LOSS_MIN_OPSET;
        return inGraph ? lossInGraph(model, head.output, batches, ids, mask, sessionOptions, cuts, signal) : lossInJs(model, head.output, batches, ids, mask, sessionOptions, signal);
      },
      close() {},
    };
  }
  // Distance to the parent: its outputs on the same batches are the reference, spilled to a temporary file when
  // large (a masked-LM head's [batch, sequence, vocab] logits over every batch).
  const output = head?.output ?? map.final.hidden;
  const kind = head ? 'kl' : 'mse';
  const { session } = await openModelSession(parent, sessionOptions);
  const reference = new SpilledArrays(o.spillAboveBytes);
  let count = 0;
  try {
    for (const b of batches) {
      throwIfAborted(o.signal);
      const out = (await session.run(complete(parent, b), [output]))[output];
      reference.push(floatOutput(out));
      count += out.dims.slice(0, -1).reduce((a, c) => a * c, 1);
    }
  } catch (e) {
    reference.close();
    throw e;
  } finally {
    await session.release();
  }
  return {
    metric: kind === 'kl' ? 'KL divergence to the parent\'s predictions' : 'mean squared distance to the parent\'s final hidden state (kept neurons)',
    batches: batches.length,
    count,
    async loss(model, keptD, signal) {
      const { session: s } = await openModelSession(model, sessionOptions);
      try {
        let total = 0;
        for (let k = 0; k < batches.length; k++) {
          throwIfAborted(signal);
          const out = (await s.run(complete(model, batches[k]), [output]))[output];
          total += distillationLossOf(floatOutput(out), out.dims[out.dims.length - 1], reference.get(k), kind, kind === 'mse' ? keptD : undefined);
        }
        return total / batches.length;
      } finally {
        await s.release();
      }
    },
    close: () => reference.close(),
  };
}

type SessionChoice = Parameters<typeof openModelSession>[1];

/**
 * Mean next-token cross-entropy with the loss reduced inside the graph: one float per batch leaves onnxruntime.
 * A model of more than `cuts.above` bytes of weights runs in parts, one session after the other, so onnxruntime
 * holds a part of its weights at a time (runInParts); the losses are summed in the same batch order.
 */
async function lossInGraph(model: OnnxModel, logits: string, batches: Feeds[], ids: string, mask: string | undefined, options: SessionChoice, cuts: { first: string; blocks: readonly string[]; above: number }, signal?: AbortSignal): Promise<number> {
  const dims = batches.map((b) => b[ids].dims);
  const scored = tokenLossModel(model, logits, { batch: Math.max(1, ...dims.map((d) => Number(d[0]))), sequence: Math.max(1, ...dims.map((d) => Number(d[d.length - 1]))) });
  try {
    const parts = weightBytes(scored) > cuts.above ? partitionModel(scored, cuts.blocks, cuts.first) : undefined;
    if (parts) {
      let total = 0;
      let n = 0;
      await runInParts(parts, options, {
        batches: batches.length,
        feeds: (i) => {
          const { targets, weights } = nextTokenTargets(batches[i], ids, mask);
          return { ...complete(model, batches[i]), [TOKEN_LOSS.targets]: targets, [TOKEN_LOSS.weights]: weights };
        },
        onOutputs: (i, out) => {
          total += (out[TOKEN_LOSS.output].data as Float32Array)[0];
          n += nextTokenTargets(batches[i], ids, mask).count;
        },
        ...(signal ? { signal } : {}),
      });
      return total / (n || 1);
    }
    const { session } = await openModelSession(scored, options);
    try {
      let total = 0;
      let n = 0;
      for (const b of batches) {
        throwIfAborted(signal);
        const { targets, weights, count } = nextTokenTargets(b, ids, mask);
        const out = await session.run({ ...complete(model, b), [TOKEN_LOSS.targets]: targets, [TOKEN_LOSS.weights]: weights }, [TOKEN_LOSS.output]);
        total += (out[TOKEN_LOSS.output].data as Float32Array)[0];
        n += count;
      }
      return total / (n || 1);
    } finally {
      await session.release();
    }
  } finally {
    scored.close();
  }
}

/** The same loss from logits copied out (for opsets older than the in-graph loss needs). */
async function lossInJs(model: OnnxModel, logitsName: string, batches: Feeds[], ids: string, mask: string | undefined, options: SessionChoice, signal?: AbortSignal): Promise<number> {
  const { session } = await openModelSession(model, options);
  try {
    let total = 0;
    let n = 0;
    for (const b of batches) {
      throwIfAborted(signal);
      const logits = (await session.run(complete(model, b), [logitsName]))[logitsName];
      const values = floatOutput(logits);
      const [rows, seq, vocab] = logits.dims;
      const tokens = b[ids].data as BigInt64Array | Int32Array;
      const weights = nextTokenWeights(b, ids, mask);
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t + 1 < seq; t++) {
          if (!weights[r * seq + t]) continue;
          total += crossEntropy(values, (r * seq + t) * vocab, vocab, Number(tokens[r * seq + t + 1]));
          n++;
        }
      }
    }
    return total / (n || 1);
  } finally {
    await session.release();
  }
}

/** The in-graph loss's feeds: position t's target is token t+1, weighted 1 where nextTokenWeights counts it. */
function nextTokenTargets(b: Feeds, ids: string, mask: string | undefined): { targets: ort.Tensor; weights: ort.Tensor; count: number } {
  const [rows, seq] = b[ids].dims;
  const tokens = b[ids].data as BigInt64Array | Int32Array;
  const w = nextTokenWeights(b, ids, mask);
  const targets = new BigInt64Array(rows * seq);
  const weights = new Float32Array(rows * seq);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t + 1 < seq; t++) {
      if (!w[r * seq + t]) continue;
      targets[r * seq + t] = BigInt(tokens[r * seq + t + 1]);
      weights[r * seq + t] = 1;
      count++;
    }
  }
  return { targets: new ort.Tensor('int64', targets, [rows, seq]), weights: new ort.Tensor('float32', weights, [rows, seq]), count };
}

/** 1 where position t predicts a real next token (both t and t+1 unmasked), else 0. */
function nextTokenWeights(b: Feeds, ids: string, mask: string | undefined): Uint8Array {
  const [rows, seq] = b[ids].dims;
  const m = mask && b[mask] ? (b[mask].data as BigInt64Array | Int32Array) : undefined;
  const w = new Uint8Array(rows * seq);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t + 1 < seq; t++) w[r * seq + t] = !m || (Number(m[r * seq + t]) && Number(m[r * seq + t + 1])) ? 1 : 0;
  }
  return w;
}

/** Adds empty KV caches (past length 0) for decoders exported with past_key_values. */
function complete(model: OnnxModel, feeds: Feeds): Feeds {
  const inits = new Set(model.graph.initializer.map((t) => t.name));
  const out: Feeds = { ...feeds };
  const batch = Object.values(feeds)[0]?.dims[0] ?? 1;
  for (const v of model.graph.input.filter((x) => !inits.has(x.name) && !(x.name in feeds))) {
    const spec = valueSpec(v);
    if (!spec.shape || !/past|cache/i.test(v.name)) throw new SubcloneError('BadArgument', `no calibration value for input ${quote(v.name)}`);
    const dims = spec.shape.map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : 0));
    out[v.name] = spec.dtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
  }
  return out;
}
