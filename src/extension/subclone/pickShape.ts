import * as vscode from 'vscode';
import type { Dims } from '../../core/recognize/transformerMap';
import { describeShape, formatCount, type ShapePreset, type TargetShape } from '../../protocol/shapes';
import { askCustomShape, refusal, type HfShapeCheck, type ShapeValidator } from './customShape';

/** The parent model as the shape picker describes it. */
export interface ParentShape {
  shape: TargetShape;
  parameters: number;
}

export interface ShapeItem extends vscode.QuickPickItem {
  preset?: ShapePreset;
  custom?: true;
}

/**
 * The picker's rows: each preset with its numbers, parameter count and, when the family's Hugging Face config
 * cannot state it (`hf.presets[i]`, the engine's reason), "ONNX only" (or, with `hf.refuse`, that the setting
 * refuses it) and why; then Custom….
 */
export function shapeItems(parent: ParentShape, presets: readonly ShapePreset[], hf?: { refuse: boolean; presets: readonly (string | null)[] }): ShapeItem[] {
  const items: ShapeItem[] = presets.map((preset, i) => {
    const onnxOnly = hf?.presets[i] ?? null;
    const mark = onnxOnly ? (hf?.refuse ? `$(error) not with subclone.outputFormat hf: ${onnxOnly}` : `$(warning) ONNX only: ${onnxOnly}`) : null;
    return {
      label: preset.label,
      description: `${describeShape(preset.shape)}${onnxOnly ? (hf?.refuse ? ' · no Hugging Face checkpoint' : ' · ONNX only') : ''}`,
      // The count first: a long reason is cut at the end of the line (the description says ONNX only in any case).
      detail: [`${formatCount(preset.parameters)} parameters (${percent(preset.parameters, parent.parameters)} of the parent)`, mark].filter(Boolean).join(' · '),
      preset,
    };
  });
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: 'Custom…', description: 'choose layers, width, heads and FFN', custom: true });
  return items;
}

/** The parent's own numbers as a TargetShape (the widest FFN when blocks differ). */
export function parentShape(dims: Dims): TargetShape {
  const ffn = Array.isArray(dims.ffn) ? Math.max(...dims.ffn) : dims.ffn;
  return { layers: dims.layers, dModel: dims.dModel, heads: dims.heads, kvHeads: dims.kvHeads, ffn };
}

/**
 * The destination-shape step: the presets computed for this model, each with its numbers and parameter count,
 * then Custom… (one input box per number, validated live by the engine). A shape the family's Hugging Face config
 * cannot state is marked "ONNX only" with the engine's reason (`hf.presets`, in the presets' order); when the
 * setting asks for the Hugging Face checkpoint only (`hf.refuse`), choosing it says why and offers the list again.
 * Undefined when dismissed.
 */
export async function pickShape(fileName: string, parent: ParentShape, presets: ShapePreset[], validate: ShapeValidator, hf?: HfShapeCheck & { presets: readonly (string | null)[] }): Promise<TargetShape | undefined> {
  const items = shapeItems(parent, presets, hf);
  const choice = await vscode.window.showQuickPick(items, {
    title: `Subclone ${fileName}: destination shape`,
    placeHolder: `Parent: ${describeShape(parent.shape)} · ${formatCount(parent.parameters)} parameters`,
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if (choice.preset) {
    const refused = hf?.refuse ? hf.presets[presets.indexOf(choice.preset)] : null;
    if (!refused) return choice.preset.shape;
    const again = await vscode.window.showErrorMessage(refusal(choice.preset.shape, refused), 'Choose Another Shape');
    return again ? pickShape(fileName, parent, presets, validate, hf) : undefined;
  }
  return askCustomShape(fileName, presets.find((p) => p.id === 'half-both')?.shape ?? parent.shape, parent, validate, hf);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '?';
}
