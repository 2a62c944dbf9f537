import { byteText } from './byteText';
import { SAMPLED_TEXT_MIN_BYTES, sampledText } from './sampledText';
import { VALIDATION_FRACTION, byteTokenTable, loadTextTokens, readTokenizerJson, textFileSize, tokenizerEncoder, type TextTokens } from './textData';

/** A large text trains on this many pieces sampled evenly from its training part… */
export const TRAINING_PIECES = 1024;
/** …each this many training windows long (windows are drawn inside a piece, never across two). */
const WINDOWS_PER_PIECE = 8;
/** The most held-out windows read from a large text when every window is asked for. */
const MAX_HELD_OUT_WINDOWS = 512;

export interface TrainingTextOptions {
  /** The model's tokenizer.json; without one, token ids are the bytes. */
  tokenizer?: string;
  /** Tokens per training window (sequence + 1). */
  span: number;
  /** Held-out windows the evaluation reads, or 'all'. */
  evalWindows: number | 'all';
  signal?: AbortSignal;
}

/**
 * The token streams a training run reads. A text under SAMPLED_TEXT_MIN_BYTES is tokenized whole; a larger one
 * costs what training can use: TRAINING_PIECES pieces spread evenly over its training part (TextTokens.trainPiece
 * tells the batcher to draw windows inside a piece) and one stretch from the start of the held-out tail holding
 * the evaluation's windows. Byte-level text is read by range, other tokenizers tokenize only those bytes.
 */
export function loadTrainingText(file: string, o: TrainingTextOptions): TextTokens {
  if (textFileSize(file) < SAMPLED_TEXT_MIN_BYTES) return loadTextTokens(file, { ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const piece = o.span * WINDOWS_PER_PIECE;
  const heldOut = (o.evalWindows === 'all' ? MAX_HELD_OUT_WINDOWS : Math.max(1, o.evalWindows)) * o.span;
  const json = o.tokenizer ? readTokenizerJson(o.tokenizer) : undefined;
  const table = json ? byteTokenTable(json) : undefined;
  if (!o.tokenizer || table) {
    const text = byteText(file, table, VALIDATION_FRACTION);
    const stride = Math.floor((text.train.length - piece) / (TRAINING_PIECES - 1));
    const train = new Int32Array(TRAINING_PIECES * piece);
    for (let k = 0; k < TRAINING_PIECES; k++) train.set(text.train.read(k * stride, piece), k * piece);
    const validation = text.validation.read(0, Math.min(heldOut, text.validation.length));
    return { train, validation, trainPiece: piece, tokenizer: o.tokenizer ?? 'bytes', splitByte: text.splitByte, totalBytes: text.totalBytes };
  }
  const text = sampledText(file, tokenizerEncoder(o.tokenizer, json), VALIDATION_FRACTION);
  const signal = o.signal ? { signal: o.signal } : {};
  const train = text.windows('train', TRAINING_PIECES, piece, signal);
  const validation = text.windows('validation', 1, heldOut, signal);
  return { train: train.read(0, train.length), validation: validation.read(0, validation.length), trainPiece: piece, tokenizer: o.tokenizer, splitByte: text.splitByte, totalBytes: text.totalBytes };
}
