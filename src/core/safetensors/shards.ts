import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubcloneError, errorMessage } from '../errors';
import { writeFilesAtomically } from '../fs/atomicFile';
import { quote } from '../quote';
import { compareByCodePoint, type SafetensorsEntry } from './format';
import { openSafetensors, type SafetensorsFile } from './reader';
import { layoutSafetensors, tensorBytes, writeLayout, type SafetensorsTensor } from './writer';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';
/** Whether a path names safetensors weights: a .safetensors file or a shard index (.safetensors.index.json). */
export function isSafetensorsWeights(p: string): boolean {
  return /\.safetensors(\.index\.json)?$/i.test(p);
}
/** huggingface_hub's default max_shard_size, "5GB". */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** Files save_pretrained writes (and removes before it writes): the single file, its shards and the index. */
const CHECKPOINT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors(\.index\.json)?$/;

export interface CheckpointTensor {
  readonly shard: SafetensorsFile;
  readonly entry: SafetensorsEntry;
}

/** The tensors of a single-file or sharded checkpoint as one set; each shard is open until close(). */
export interface CheckpointWeights {
  /** The index file, undefined for a single file. */
  readonly indexFile: string | undefined;
  /** The index's "metadata" object (HF puts total_size there), undefined without an index. */
  readonly indexMetadata: Readonly<Record<string, unknown>> | undefined;
  /** In file-name order. */
  readonly shards: readonly SafetensorsFile[];
  /** Every tensor name: shard by shard, each in file order. */
  readonly names: readonly string[];
  /** Sum of every tensor's bytes. */
  readonly totalBytes: number;
  has(name: string): boolean;
  /** Throws MissingData when no shard holds it. */
  get(name: string): CheckpointTensor;
  readBytes(name: string): Uint8Array;
  chunks(name: string, chunkBytes?: number): Generator<Uint8Array>;
  close(): void;
}

/**
 * Opens a checkpoint's weights: a .safetensors file, a model.safetensors.index.json, or a folder holding either
 * (model.safetensors first, as transformers looks). With an index, every shard must exist, every tensor the
 * weight_map lists must be in the shard it names, and no tensor may be in two shards or in none the index lists.
 */
export function openCheckpointWeights(fileOrIndexOrFolder: string): CheckpointWeights {
  const source = path.resolve(fileOrIndexOrFolder);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot open ${source}: ${errorMessage(e)}`, { cause: e });
  }
  if (stat.isDirectory()) {
    const single = path.join(source, SINGLE_FILE_NAME);
    const index = path.join(source, INDEX_FILE_NAME);
    if (fs.existsSync(single)) return singleFile(single);
    if (fs.existsSync(index)) return indexed(index);
    const others = fs.readdirSync(source).filter((f) => f.endsWith('.safetensors'));
    const hint = others.length ? `; it holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}` : '';
    throw new SubcloneError('MissingData', `${source} holds neither ${SINGLE_FILE_NAME} nor ${INDEX_FILE_NAME}${hint}`);
  }
  return source.endsWith('.json') ? indexed(source) : singleFile(source);
}

function singleFile(file: string): CheckpointWeights {
  const shard = openSafetensors(file);
  return checkpointView(undefined, undefined, [shard], new Map(shard.tensors.map((entry) => [entry.name, { shard, entry }])));
}

/** The shard files a model.safetensors.index.json lists, each once, in code-point order; errors as openCheckpointWeights. */
export function shardFilesOf(indexFile: string): string[] {
  return shardNamesOf(readIndex(indexFile).weightMap);
}

function shardNamesOf(weightMap: ReadonlyMap<string, string>): string[] {
  return [...new Set(weightMap.values())].sort(compareByCodePoint);
}

function indexed(indexFile: string): CheckpointWeights {
  const { metadata, weightMap } = readIndex(indexFile);
  const shardNames = shardNamesOf(weightMap);
  const shards: SafetensorsFile[] = [];
  try {
    for (const name of shardNames) {
      const file = path.join(path.dirname(indexFile), name);
      if (!fs.existsSync(file)) throw new SubcloneError('MissingData', `${indexFile} lists the shard ${quote(name)}, which is missing (${file})`);
      shards.push(openSafetensors(file));
    }
    const byName = new Map<string, CheckpointTensor>();
    shards.forEach((shard, i) => {
      for (const entry of shard.tensors) {
        const other = byName.get(entry.name);
        if (other) {
          const first = shardNames[shards.indexOf(other.shard)];
          throw new SubcloneError('BadModel', `${indexFile}: tensor ${quote(entry.name)} is in two shards, ${quote(first)} and ${quote(shardNames[i])}`);
        }
        if (!weightMap.has(entry.name)) {
          throw new SubcloneError('BadModel', `${indexFile}: the shard ${quote(shardNames[i])} holds tensor ${quote(entry.name)}, which the weight_map does not list`);
        }
        byName.set(entry.name, { shard, entry });
      }
    });
    for (const [tensor, shardName] of weightMap) {
      const found = byName.get(tensor);
      const foundIn = found && shardNames[shards.indexOf(found.shard)];
      if (foundIn !== shardName) {
        const where = foundIn ? `; it is in ${quote(foundIn)}` : '';
        throw new SubcloneError('BadModel', `${indexFile}: the weight_map puts tensor ${quote(tensor)} in ${quote(shardName)}, which does not hold it${where}`);
      }
    }
    return checkpointView(indexFile, metadata, shards, byName);
  } catch (e) {
    for (const s of shards) s.close();
    throw e;
  }
}

function readIndex(indexFile: string): { metadata: Record<string, unknown> | undefined; weightMap: Map<string, string> } {
  let text: string;
  try {
    text = fs.readFileSync(indexFile, 'utf8');
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read ${indexFile}: ${errorMessage(e)}`, { cause: e });
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    throw new SubcloneError('BadModel', `${indexFile} is not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  if (!isObject(index) || !isObject(index.weight_map)) {
    throw new SubcloneError('BadModel', `${indexFile} has no "weight_map" object; it is not a safetensors index`);
  }
  if (index.metadata !== undefined && !isObject(index.metadata)) {
    throw new SubcloneError('BadModel', `${indexFile}: "metadata" is not an object`);
  }
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(index.weight_map)) {
    if (typeof shard !== 'string') throw new SubcloneError('BadModel', `${indexFile}: the weight_map gives tensor ${quote(tensor)} the shard ${JSON.stringify(shard)}, not a file name`);
    checkShardName(shard, indexFile);
    weightMap.set(tensor, shard);
  }
  return { metadata: index.metadata as Record<string, unknown> | undefined, weightMap };
}

/** As huggingface_hub checks: relative on every OS (no drive, no root, no ".."), and a .safetensors file. */
function checkShardName(shard: string, indexFile: string): void {
  const parts = shard.split(/[\\/]/);
  if (/^[a-zA-Z]:/.test(shard) || parts[0] === '' || parts.includes('..') || !shard.endsWith('.safetensors')) {
    throw new SubcloneError('BadModel', `${indexFile}: the shard ${quote(shard)} is not a .safetensors file inside the index's folder`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkpointView(
  indexFile: string | undefined,
  indexMetadata: Record<string, unknown> | undefined,
  shards: SafetensorsFile[],
  byName: Map<string, CheckpointTensor>,
): CheckpointWeights {
  const get = (name: string): CheckpointTensor => {
    const t = byName.get(name);
    if (!t) throw new SubcloneError('MissingData', `${indexFile ?? shards[0].file} has no tensor ${quote(name)}`);
    return t;
  };
  return {
    indexFile,
    indexMetadata,
    shards,
    names: shards.flatMap((s) => s.tensors.map((t) => t.name)),
    totalBytes: shards.reduce((n, s) => s.tensors.reduce((m, t) => m + t.end - t.begin, n), 0),
    has: (name) => byName.has(name),
    get,
    readBytes: (name) => get(name).shard.readBytes(name),
    chunks: (name, chunkBytes) => get(name).shard.chunks(name, chunkBytes),
    close: () => shards.forEach((s) => s.close()),
  };
}

export interface ShardedWriteOptions {
  /** The most tensor bytes in one shard (default 5 GB); a larger tensor gets a shard of its own. */
  maxShardBytes?: number;
  /** Every file's "__metadata__" (HF writes {"format": "pt"}). */
  metadata?: Readonly<Record<string, string>>;
  /** Replace an earlier checkpoint in the folder, removing its other shards and index (default false). */
  overwrite?: boolean;
}

export interface ShardedWriteResult {
  /** The safetensors files written, in shard order. */
  files: string[];
  /** The index written, undefined when everything fits one file. */
  indexFile: string | undefined;
  totalBytes: number;
}

/**
 * Writes tensors into `folder` as save_pretrained does: model.safetensors when they fit in one shard, else
 * model-00001-of-0000N.safetensors … and model.safetensors.index.json. Shards are filled in the order of
 * `tensors` as huggingface_hub fills them. Atomic as a whole: every file goes to a temporary sibling and all are
 * renamed only when all are written.
 */
export function writeShardedSafetensors(folder: string, tensors: readonly SafetensorsTensor[], options: ShardedWriteOptions = {}): ShardedWriteResult {
  const dir = path.resolve(folder);
  const maxShardBytes = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0) {
    throw new SubcloneError('BadArgument', `maxShardBytes must be a whole number of bytes > 0, not ${maxShardBytes}`);
  }
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new SubcloneError('BadArgument', `${dir}: two tensors are named ${quote(t.name)}`);
    names.add(t.name);
  }
  const shards = splitIntoShards(tensors, maxShardBytes);
  const shardFiles = shards.length <= 1
    ? [SINGLE_FILE_NAME]
    : shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`);
  const files = shardFiles.map((f) => path.join(dir, f));
  const layouts = (shards.length ? shards : [[]]).map((shard, i) => layoutSafetensors(shard, options.metadata, files[i]));
  const totalBytes = tensors.reduce((n, t) => n + tensorBytes(t), 0);
  const indexFile = shards.length > 1 ? path.join(dir, INDEX_FILE_NAME) : undefined;
  const targets = indexFile ? [...files, indexFile] : files;

  const earlier = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => CHECKPOINT_FILE.test(f)) : [];
  if (earlier.length && !options.overwrite) {
    throw new SubcloneError('Exists', `${dir} already holds a checkpoint (${earlier.slice(0, 3).join(', ')}${earlier.length > 3 ? ', …' : ''}); choose another folder or allow overwriting`);
  }
  fs.mkdirSync(dir, { recursive: true });
  writeFilesAtomically(targets, (temps) => {
    layouts.forEach((layout, i) => writeLayout(temps[i], layout, files[i]));
    if (indexFile) fs.writeFileSync(temps[temps.length - 1], indexJson(totalBytes, shards, shardFiles));
  });
  // Left behind, an earlier save's shards or index would be read instead of (or mixed with) these.
  const written = new Set(targets.map((t) => path.basename(t)));
  for (const f of earlier) if (!written.has(f)) fs.rmSync(path.join(dir, f), { force: true });
  return { files, indexFile, totalBytes };
}

/**
 * huggingface_hub's split_state_dict_into_shards_factory: in order, a tensor that would tip the current shard over
 * the limit starts a new one; a tensor larger than the limit gets a shard of its own, placed when it is met.
 */
function splitIntoShards(tensors: readonly SafetensorsTensor[], maxShardBytes: number): SafetensorsTensor[][] {
  const shards: SafetensorsTensor[][] = [];
  let current: SafetensorsTensor[] = [];
  let currentBytes = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t);
    if (bytes > maxShardBytes) {
      shards.push([t]);
      continue;
    }
    if (currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += bytes;
  }
  if (current.length) shards.push(current);
  return shards;
}

/** The index as transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n", so ASCII only. */
function indexJson(totalBytes: number, shards: SafetensorsTensor[][], shardFiles: string[]): string {
  const entries = shards.flatMap((shard, i) => shard.map((t): [string, string] => [t.name, shardFiles[i]]));
  entries.sort(([a], [b]) => compareByCodePoint(a, b));
  const weightMap = entries.map(([name, file]) => `    ${asciiJson(name)}: ${asciiJson(file)}`).join(',\n');
  return `{\n  "metadata": {\n    "total_size": ${totalBytes}\n  },\n  "weight_map": {\n${weightMap}\n  }\n}\n`;
}

function asciiJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
