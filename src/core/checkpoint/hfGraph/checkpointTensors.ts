import * as path from 'node:path';
import { SubcloneError } from '../../errors';
import { DataType } from '../../onnx/dataType';
import { quote } from '../../quote';
import { describeTensorType, toOnnxDataType, type SafetensorsDtype } from '../../safetensors/format';
import type { CheckpointWeights } from '../../safetensors/shards';
import type { GraphBuilder } from './graphBuilder';

const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

/** Buffers some checkpoints carry that are not parameters (causal masks, position ids, rotary tables): never loaded. */
const BUFFER_NAME = /(^|\.)(attn\.bias|attn\.masked_bias|attention\.bias|attention\.masked_bias|position_ids|inv_freq|cos_cached|sin_cached|norm_factor)$/;

/**
 * The checkpoint's tensors as graph initializers, looked up by their Hugging Face names the way from_pretrained
 * finds them: with or without the model's base prefix (`transformer.`, `bert.`, `model.`, …), and the old `gamma` /
 * `beta` for `weight` / `bias`. Each initializer keeps its bytes in the safetensors file (external data
 * with the shard's name, offset and length); 16-bit and 64-bit weights are cast to float32 in the graph, so the
 * checkpoint's dtype is what a subclone keeps. Tracks which tensors were used, so the rest can be reported.
 */
export class CheckpointTensors {
  private readonly used = new Map<string, string>();

  constructor(
    private readonly weights: CheckpointWeights,
    private readonly folder: string,
    /** The base model's prefix in HF names (without the dot). */
    private readonly prefix: string,
    private readonly builder: GraphBuilder,
  ) {}

  /** The stored name of a parameter, or undefined when the checkpoint has no spelling of it. */
  find(name: string): string | undefined {
    for (const candidate of this.spellings(name)) if (this.weights.has(candidate)) return candidate;
    return undefined;
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  /** A parameter's shape as stored. Throws MissingData naming the parameter when the checkpoint lacks it. */
  shape(name: string): number[] {
    return [...this.weights.get(this.stored(name)).entry.shape];
  }

  /**
   * The parameter as a float32 value of the graph (its initializer, or a Cast of it), checked to have `dims`.
   * Loading the same parameter twice gives the same value (a tied table is one initializer).
   */
  float(name: string, dims: readonly number[]): string {
    const stored = this.stored(name);
    const known = this.used.get(stored);
    const { entry, shard } = this.weights.get(stored);
    if (entry.shape.length !== dims.length || entry.shape.some((d, i) => d !== dims[i])) {
      throw new SubcloneError('BadModel', `${this.describe(stored)} is ${describeTensorType(entry.dtype, entry.shape)}; config.json makes ${name} [${dims.join(', ')}]`);
    }
    if (known) return known;
    if (!FLOAT_DTYPES.includes(entry.dtype)) {
      throw new SubcloneError('Unsupported', `not supported yet: ${this.describe(stored)} is ${entry.dtype}; weights must be F32, F16, BF16 or F64`);
    }
    const dataType = toOnnxDataType(entry.dtype);
    const location = path.relative(this.folder, shard.file).split(path.sep).join('/');
    const init = this.builder.externalInitializer(stored, dataType, entry.shape, { location, offset: entry.begin, length: entry.end - entry.begin });
    const value = dataType === DataType.FLOAT ? init : this.builder.op('Cast', [init], { to: DataType.FLOAT });
    this.used.set(stored, value);
    return value;
  }

  /** Tensors never loaded: buffers (causal masks, position ids, …) apart, those another head or model would use. */
  unused(): string[] {
    return this.weights.names.filter((n) => !this.used.has(n) && !BUFFER_NAME.test(n));
  }

  private stored(name: string): string {
    const found = this.find(name);
    if (found === undefined) {
      const where = this.weights.indexFile ?? this.weights.shards[0].file;
      throw new SubcloneError('MissingData', `${where} has no tensor ${quote(name)}, which config.json's architecture needs`);
    }
    return found;
  }

  private spellings(name: string): string[] {
    const p = `${this.prefix}.`;
    const forms = name.startsWith(p) ? [name, name.slice(p.length)] : [name, p + name];
    // Old checkpoints name norm parameters gamma and beta; from_pretrained renames them on load.
    const legacy = (n: string) => n.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta');
    return [...forms, ...forms.map(legacy).filter((n) => !forms.includes(n))];
  }

  private describe(stored: string): string {
    const { shard } = this.weights.get(stored);
    return `tensor ${quote(stored)} of ${shard.file}`;
  }
}
