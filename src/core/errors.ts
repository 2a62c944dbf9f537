/**
 * The one error type the core throws. `code` says what kind of problem it is, the message names the file, node,
 * op or constraint involved, so the CLI and the extension can show it as is.
 */
export type ErrorCode =
  | 'BadModel' // the file is not a readable ONNX model (truncated, corrupt, not ONNX)
  | 'MissingData' // external data or calibration data is missing or unreadable
  | 'Unsupported' // a readable model we cannot handle (not a transformer, fused ops, unknown op on a coupled path)
  | 'UnsupportedOp' // an op without a rule (shape, coupling or gradient)
  | 'ShapeMismatch' // tensor shapes disagree with what the graph says
  | 'BadShape' // an impossible target shape
  | 'BadArgument' // a wrong option or command-line argument
  | 'Exists' // the output exists and overwriting was not allowed
  | 'CannotWrite' // the output could not be written (disk full, read-only, no permission)
  | 'Runtime' // onnxruntime failed
  | 'Cancelled';

export class SubcloneError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SubcloneError';
  }
}

export function isSubcloneError(e: unknown, code?: ErrorCode): e is SubcloneError {
  return e instanceof SubcloneError && (code === undefined || e.code === code);
}

/** Throws a Cancelled error when the signal has fired. Call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SubcloneError('Cancelled', 'cancelled');
}

/**
 * Lets the events already waiting run first (a cancel message from the extension host among them), then throws a
 * Cancelled error when the signal has fired. Call between stages whose work does not otherwise await.
 */
export async function abortPoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfAborted(signal);
}

/** The message of any thrown value. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The message of any thrown value on one line (onnxruntime's span several lines and end in a newline). */
export function errorLine(e: unknown): string {
  return errorMessage(e).trim().replace(/\s*[\r\n]+\s*/g, ' ');
}
