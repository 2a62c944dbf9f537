import { SubcloneError } from '../../core/errors';
import { commandOptions } from '../commandOptions';
import { TARGET_SHAPE_FIELDS, type ShapePresetId, type TargetShape } from '../../protocol/shapes';

/**
 * Arguments that let "Subclone…" and "Compute Neuron Importance" run without questions, from a keybinding,
 * a task or a test: `executeCommand('subclone.subclone', modelUri, { shape: 'half-depth', data: null })`.
 * A field that is absent is asked for as usual.
 */
export interface ActionArgs {
  /** A preset id or explicit numbers. */
  shape?: ShapePresetId | TargetShape;
  /** Calibration data file or folder; null for data-free. */
  data?: string | null;
  /** Output folder (default: the engine's `<parent>-subclone-<shape>/` beside the model). */
  outDir?: string;
  /** Replace an existing output folder without asking (default: ask). */
  overwrite?: boolean;
  /** Calibration samples for importance. */
  samples?: number;
}

const PRESET_IDS: readonly ShapePresetId[] = ['half-depth', 'half-width', 'half-both', 'quarter-params'];

const OWN_KEYS = ['shape', 'data', 'outDir', 'overwrite', 'samples'];

/**
 * Reads the second command argument (commandOptions): none reads as "ask for everything"; keys that are not ours
 * go to `ignored`; a wrong type of one of ours is an error.
 */
export function parseActionArgs(value: unknown, ignored: (keys: string[]) => void = () => undefined): ActionArgs {
  const v = commandOptions(value, OWN_KEYS, ignored);
  const args: ActionArgs = {};
  if (v.shape !== undefined) args.shape = parseShape(v.shape);
  if (v.data !== undefined) {
    if (v.data !== null && typeof v.data !== 'string') throw new SubcloneError('BadArgument', 'options.data must be a path or null');
    args.data = v.data;
  }
  if (v.outDir !== undefined) {
    if (typeof v.outDir !== 'string') throw new SubcloneError('BadArgument', 'options.outDir must be a path');
    args.outDir = v.outDir;
  }
  if (v.overwrite !== undefined) {
    if (typeof v.overwrite !== 'boolean') throw new SubcloneError('BadArgument', 'options.overwrite must be true or false');
    args.overwrite = v.overwrite;
  }
  if (v.samples !== undefined) {
    if (!Number.isInteger(v.samples) || (v.samples as number) < 1) throw new SubcloneError('BadArgument', 'options.samples must be a positive whole number');
    args.samples = v.samples as number;
  }
  return args;
}

function parseShape(value: unknown): ShapePresetId | TargetShape {
  if (typeof value === 'string') {
    if ((PRESET_IDS as readonly string[]).includes(value)) return value as ShapePresetId;
    throw new SubcloneError('BadArgument', `options.shape: unknown preset "${value}"; presets: ${PRESET_IDS.join(', ')}`);
  }
  if (typeof value !== 'object' || value === null) throw new SubcloneError('BadArgument', 'options.shape must be a preset id or { layers, dModel, heads, kvHeads, ffn }');
  const v = value as Record<string, unknown>;
  const shape = {} as TargetShape;
  for (const field of TARGET_SHAPE_FIELDS) {
    const n = v[field];
    if (!Number.isInteger(n) || (n as number) < 1) throw new SubcloneError('BadArgument', `options.shape.${field} must be a positive whole number`);
    shape[field] = n as number;
  }
  return shape;
}
