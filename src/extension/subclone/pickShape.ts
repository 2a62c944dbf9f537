import * as vscode from 'vscode';
import type { Dims } from '../../core/recognize/transformerMap';
import { describeShape, formatCount, type ShapePreset, type TargetShape } from '../../protocol/shapes';
import { askCustomShape, type ShapeValidator } from './customShape';

/** The parent model as the shape picker describes it. */
export interface ParentShape {
  shape: TargetShape;
  parameters: number;
}

interface ShapeItem extends vscode.QuickPickItem {
  preset?: ShapePreset;
  custom?: true;
}

/** The parent's own numbers as a TargetShape (the widest FFN when blocks differ). */
export function parentShape(dims: Dims): TargetShape {
  const ffn = Array.isArray(dims.ffn) ? Math.max(...dims.ffn) : dims.ffn;
  return { layers: dims.layers, dModel: dims.dModel, heads: dims.heads, kvHeads: dims.kvHeads, ffn };
}

/**
 * The destination-shape step: the presets computed for this model, each with its numbers and parameter count,
 * then Custom… (one input box per number, validated live by the engine). Undefined when dismissed.
 */
export async function pickShape(fileName: string, parent: ParentShape, presets: ShapePreset[], validate: ShapeValidator): Promise<TargetShape | undefined> {
  const items: ShapeItem[] = presets.map((preset) => ({
    label: preset.label,
    description: describeShape(preset.shape),
    detail: `${formatCount(preset.parameters)} parameters (${percent(preset.parameters, parent.parameters)} of the parent)`,
    preset,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: 'Custom…', description: 'choose layers, width, heads and FFN', custom: true });
  const choice = await vscode.window.showQuickPick(items, {
    title: `Subclone ${fileName}: destination shape`,
    placeHolder: `Parent: ${describeShape(parent.shape)} · ${formatCount(parent.parameters)} parameters`,
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if (choice.preset) return choice.preset.shape;
  return askCustomShape(fileName, presets.find((p) => p.id === 'half-both')?.shape ?? parent.shape, parent, validate);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '?';
}
