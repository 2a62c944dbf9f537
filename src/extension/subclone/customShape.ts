import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { TARGET_SHAPE_FIELDS, describeShape, formatCount, withField, type TargetShape } from '../../protocol/shapes';
import type { ParentShape } from './pickShape';

/** The engine's check of a whole shape (validateShape in the worker). */
export type ShapeValidator = (shape: TargetShape) => Promise<{ ok: boolean; message: string | null; parameters: number | null }>;

/**
 * Whether a shape can be written as a Hugging Face checkpoint (the engine's hfPlan through the worker): `reason` is
 * why not (null: it can). With `refuse` (subclone.outputFormat is hf) such a shape is refused, else marked ONNX only.
 */
export interface HfShapeCheck {
  refuse: boolean;
  reason(shape: TargetShape): Promise<string | null>;
}

/** Why a shape is refused when the setting asks for the Hugging Face checkpoint only. */
export function refusal(shape: TargetShape, reason: string): string {
  return `${describeShape(shape)} cannot be written as a Hugging Face checkpoint, which the setting subclone.outputFormat (hf) asks for: ${reason}`;
}

const FIELD_WORDS: Record<keyof TargetShape, string> = {
  layers: 'layers (blocks)',
  dModel: 'embedding width (d_model)',
  heads: 'attention heads',
  kvHeads: 'key/value heads',
  ffn: 'FFN width',
};

/**
 * Asks for each number of a custom shape in turn, starting from `initial`. Each box checks the number, then asks
 * the engine about the whole shape with it and shows the engine's message (or the parameter count) as you type.
 * Undefined when dismissed.
 */
export async function askCustomShape(fileName: string, initial: TargetShape, parent: ParentShape, validate: ShapeValidator, hf?: HfShapeCheck): Promise<TargetShape | undefined> {
  const shape: TargetShape = { ...initial };
  for (const [step, field] of TARGET_SHAPE_FIELDS.entries()) {
    const value = await vscode.window.showInputBox({
      title: `Subclone ${fileName}: custom shape (${step + 1}/${TARGET_SHAPE_FIELDS.length})`,
      prompt: `${FIELD_WORDS[field]} — the parent has ${parent.shape[field]}`,
      value: String(shape[field]),
      ignoreFocusOut: true,
      validateInput: (text) => validateField(text, field, shape, parent, validate, hf),
    });
    if (value === undefined) return undefined;
    Object.assign(shape, withField(shape, field, Number(value.trim()), parent));
  }
  const verdict = await validate(shape);
  if (!verdict.ok) {
    const again = await vscode.window.showErrorMessage(`${describeShape(shape)}: ${verdict.message ?? 'not a valid shape'}`, 'Edit Shape');
    return again ? askCustomShape(fileName, shape, parent, validate, hf) : undefined;
  }
  const refused = hf?.refuse ? await hf.reason(shape) : null;
  if (refused) {
    const again = await vscode.window.showErrorMessage(refusal(shape, refused), 'Edit Shape');
    return again ? askCustomShape(fileName, shape, parent, validate, hf) : undefined;
  }
  return shape;
}

async function validateField(
  text: string,
  field: keyof TargetShape,
  shape: TargetShape,
  parent: ParentShape,
  validate: ShapeValidator,
  hf: HfShapeCheck | undefined,
): Promise<vscode.InputBoxValidationMessage | undefined> {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < 1) return error('a whole number of at least 1');
  if (n > parent.shape[field]) return error(`at most ${parent.shape[field]}: subcloning only shrinks the parent`);
  try {
    const candidate = withField(shape, field, n, parent);
    const verdict = await validate(candidate);
    if (!verdict.ok) return error(verdict.message ?? 'not a valid shape');
    const params = verdict.parameters === null ? '' : ` · ${formatCount(verdict.parameters)} parameters`;
    const onnxOnly = hf ? await hf.reason(candidate) : null;
    if (onnxOnly && hf?.refuse) return error(refusal(candidate, onnxOnly));
    if (onnxOnly) return { message: `${describeShape(candidate)}${params} · ONNX only: ${onnxOnly}`, severity: vscode.InputBoxValidationSeverity.Warning };
    return { message: `${describeShape(candidate)}${params}`, severity: vscode.InputBoxValidationSeverity.Info };
  } catch (e) {
    return error(`could not check the shape: ${errorMessage(e)}`);
  }
}

function error(message: string): vscode.InputBoxValidationMessage {
  return { message, severity: vscode.InputBoxValidationSeverity.Error };
}
