import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { SubcloneError, errorMessage, throwIfAborted } from '../errors';

/** A text file as token ids, split into training and validation parts. */
export interface TextTokens {
  train: Int32Array;
  validation: Int32Array;
  /** 'bytes' (token id = byte value) or the tokenizer.json used. */
  tokenizer: string;
  /**
   * Set when `train` is independent pieces of this many tokens sampled from a large file (loadTrainingText): a
   * training window is drawn inside one piece, never across two.
   */
  trainPiece?: number;
  /** Byte offset where the validation part starts. */
  splitByte: number;
  totalBytes: number;
}

export interface TextDataOptions {
  /** A Hugging Face tokenizer.json; without one, token ids are the UTF-8 bytes. */
  tokenizer?: string;
  /** The tail of the file held out for validation, as a fraction of its bytes (default 0.05). */
  validationFraction?: number;
  signal?: AbortSignal;
  /** Called with (bytes tokenized, total bytes). */
  onProgress?: (done: number, total: number) => void;
}

/** The tail of a text file held out for validation, as a fraction of its bytes. */
export const VALIDATION_FRACTION = 0.05;

/** Tokenizes in pieces of about this many characters, cut where a word starts, so progress and cancellation work. */
const PIECE = 1 << 16;

/** A text file's size in bytes; a message naming it when it cannot be read. */
export function textFileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the text data ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

/** The tokenizer.json in a model's folder (Hugging Face layout), if there is one. */
export function findTokenizer(modelFile: string): string | undefined {
  const candidate = path.join(path.dirname(path.resolve(modelFile)), 'tokenizer.json');
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * Reads a text file, holds out its last `validationFraction` of bytes (cut at a character boundary) and tokenizes
 * both parts, with the model's tokenizer.json when given, else as bytes.
 */
export function loadTextTokens(file: string, options: TextDataOptions = {}): TextTokens {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the text data ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const split = heldOutSplit(bytes.length, options.validationFraction ?? VALIDATION_FRACTION, (i) => bytes[i]);
  const json = options.tokenizer ? readTokenizerJson(options.tokenizer) : undefined;
  const table = json ? byteTokenTable(json) : undefined;
  const encode = options.tokenizer && json && !table ? tokenizerEncoder(options.tokenizer, json) : undefined;
  const total = bytes.length;
  let done = 0;
  const part = (from: number, to: number): Int32Array => {
    if (!encode) {
      options.onProgress?.((done = to), total);
      const raw = bytes.subarray(from, to);
      return table ? Int32Array.from(raw, (b) => table[b]) : Int32Array.from(raw);
    }
    const text = new TextDecoder().decode(bytes.subarray(from, to));
    const pieces: number[][] = [];
    let count = 0;
    for (const piece of textPieces(text)) {
      throwIfAborted(options.signal);
      const ids = encode(piece);
      pieces.push(ids);
      count += ids.length;
      done += Buffer.byteLength(piece);
      options.onProgress?.(done, total);
    }
    const out = new Int32Array(count);
    let at = 0;
    for (const ids of pieces) {
      out.set(ids, at);
      at += ids.length;
    }
    return out;
  };
  const train = part(0, split);
  const validation = part(split, bytes.length);
  if (train.length < 2 || validation.length < 2) throw new SubcloneError('MissingData', `${file} is too short to train on (${bytes.length} bytes)`);
  return { train, validation, tokenizer: options.tokenizer ?? 'bytes', splitByte: split, totalBytes: total };
}

/**
 * Where a text of `size` bytes splits into training part and held-out tail: its last `fraction` of bytes, the cut
 * moved forward past any UTF-8 continuation bytes so no character is cut in half. `byteAt(i)` reads byte i.
 */
export function heldOutSplit(size: number, fraction: number, byteAt: (i: number) => number): number {
  if (!(fraction > 0 && fraction < 1)) throw new SubcloneError('BadArgument', `the validation fraction must be between 0 and 1, got ${fraction}`);
  let split = Math.floor(size * (1 - fraction));
  while (split < size && (byteAt(split) & 0xc0) === 0x80) split++;
  return split;
}

/** A tokenizer.json's content; a message naming the file when it cannot be read. */
export function readTokenizerJson(file: string): object {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as object;
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot read the tokenizer ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * The tokenizer.json's encoder (its tokenizer_config.json beside it when there is one), without special tokens.
 * `json`: the file's content when the caller has parsed it already (a large vocabulary's file takes a while).
 */
export function tokenizerEncoder(file: string, json?: object): (text: string) => number[] {
  let tokenizer: Tokenizer;
  try {
    const content = json ?? readTokenizerJson(file);
    const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
    const config = fs.existsSync(configFile) ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as object) : {};
    tokenizer = new Tokenizer(content, config);
  } catch (e) {
    throw new SubcloneError('MissingData', `cannot load the tokenizer ${file}: ${errorMessage(e)}`, { cause: e });
  }
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
}

/**
 * For a byte-level BPE tokenizer without merges (every byte its own token, as in byte-level models), the id of
 * each byte; undefined for any other tokenizer. Such text is tokenized by table lookup instead of the tokenizer.
 */
export function byteTokenTable(tokenizerJson: unknown): Int32Array | undefined {
  const t = tokenizerJson as {
    normalizer?: unknown;
    pre_tokenizer?: { type?: string };
    added_tokens?: unknown[];
    model?: { type?: string; merges?: unknown[]; vocab?: Record<string, number> };
  };
  if (t.normalizer || t.pre_tokenizer?.type !== 'ByteLevel' || t.model?.type !== 'BPE') return undefined;
  if ((t.model.merges?.length ?? 0) > 0 || (t.added_tokens?.length ?? 0) > 0 || !t.model.vocab) return undefined;
  const table = new Int32Array(256);
  const chars = byteLevelChars();
  for (let b = 0; b < 256; b++) {
    const id = t.model.vocab[chars[b]];
    if (id === undefined) return undefined;
    table[b] = id;
  }
  return table;
}

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest for code points from 256 up. */
function byteLevelChars(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

/**
 * Cuts text into pieces of about PIECE characters, each cut after a newline that a non-space character follows:
 * pre-tokenizers split words there anyway, so tokenizing the pieces gives the same ids as the whole text.
 */
function* textPieces(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let cut = start + PIECE;
    if (cut >= text.length) {
      yield text.slice(start);
      return;
    }
    while (cut < text.length && !(text[cut - 1] === '\n' && /\S/.test(text[cut]))) cut++;
    yield text.slice(start, cut);
    start = cut;
  }
}
