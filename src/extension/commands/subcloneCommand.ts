import * as path from 'node:path';
import * as vscode from 'vscode';
import { SubcloneError, isSubcloneError } from '../../core/errors';
import { describeShape, formatCount, type ShapePreset, type TargetShape } from '../../protocol/shapes';
import type { OutputFormat, Params, Result } from '../../protocol/workerProtocol';
import { modelName, resolveModel } from '../modelTarget';
import { OVERVIEW_VIEW_TYPE } from '../overview/viewType';
import type { Services } from '../services';
import { pickCalibrationData } from '../subclone/calibrationData';
import { parseActionArgs, type ActionArgs } from '../subclone/commandArgs';
import type { HfShapeCheck } from '../subclone/customShape';
import { parentShape, pickShape, type ParentShape } from '../subclone/pickShape';
import { requireTrust } from '../trust';
import { withWorkerProgress, type ProgressObserver } from '../withWorkerProgress';

export type ApplyResult = Result<'apply'>;

const ACTION = 'Subclone…';

/**
 * "Subclone…": read the model in the worker, choose a destination shape (presets for this model or custom) and
 * calibration data, run `apply` under a cancellable progress notification, then offer to reveal the child or
 * open its overview. Resolves with the result, or undefined when the user stopped at a question.
 */
export async function subcloneCommand(services: Services, uriArg: unknown, optionsArg: unknown): Promise<ApplyResult | undefined> {
  const args = parseActionArgs(optionsArg, (keys) => services.log.info(`Subclone…: ignored option(s) it does not own: ${keys.join(', ')}`));
  const model = await resolveModel(uriArg, ACTION);
  if (!model || !(await requireTrust(ACTION))) return undefined;
  const file = model.fsPath;
  const name = modelName(file);
  const { parent, presets, hf } = await readModel(services, file, name, outputFormatSetting());

  const shape = await chooseShape(services, args, file, name, parent, presets, hf);
  if (!shape) return undefined;
  const data = args.data !== undefined ? { data: args.data } : await pickCalibrationData(services.state, model, `Subclone ${name}`);
  if (!data) return undefined;

  return runApply(services, { file, shape, data: data.data, ...(args.outDir ? { outDir: args.outDir } : {}) }, args.overwrite);
}

type HfMarks = HfShapeCheck & { presets: (string | null)[] };

/**
 * Reads the model, its presets and, unless only ONNX is written, which shapes the family's Hugging Face config can
 * state (the engine's hfPlan): the picker marks the others. When the model cannot be written as a Hugging Face
 * checkpoint at all, nothing is marked (the result's notification says so), and with the setting at hf it is
 * refused here, before any question.
 */
async function readModel(services: Services, file: string, name: string, format: OutputFormat): Promise<{ parent: ParentShape; presets: ShapePreset[]; hf: HfMarks | undefined }> {
  return withWorkerProgress(`Subclone: reading ${name}`, async (options) => {
    const { map, unsupported } = await services.worker.call('inspect', { file }, options);
    if (!map) throw new SubcloneError('Unsupported', `${name} cannot be subcloned: ${unsupported ?? 'it is not a recognised transformer'}`);
    if (unsupported) throw new SubcloneError('Unsupported', `${name} cannot be subcloned yet: ${unsupported}`);
    const presets = await services.worker.call('shapePresets', { file }, options);
    let hf: HfMarks | undefined;
    if (format !== 'onnx') {
      const plan = await services.worker.call('hfPlan', { file, shapes: presets.map((p) => p.shape) }, options);
      if (plan.model && format === 'hf') throw new SubcloneError('Unsupported', `${name} cannot be written as a Hugging Face checkpoint, which the setting subclone.outputFormat (hf) asks for: ${plan.model}`);
      if (!plan.model) hf = { refuse: format === 'hf', presets: plan.shapes, reason: async (shape) => (await services.worker.call('hfPlan', { file, shapes: [shape] })).shapes[0] };
    }
    return { parent: { shape: parentShape(map.dims), parameters: map.parameterCounts.total }, presets, hf };
  });
}

async function chooseShape(services: Services, args: ActionArgs, file: string, name: string, parent: ParentShape, presets: ShapePreset[], hf: HfMarks | undefined): Promise<TargetShape | undefined> {
  const validate = (shape: TargetShape) => services.worker.call('validateShape', { file, shape });
  if (args.shape === undefined) return pickShape(name, parent, presets, validate, hf);
  if (typeof args.shape === 'string') {
    const id = args.shape;
    const preset = presets.find((p) => p.id === id);
    if (!preset) throw new SubcloneError('BadArgument', `the preset ${id} is not offered for ${name}; offered: ${presets.map((p) => p.id).join(', ') || 'none'}`);
    return preset.shape;
  }
  const verdict = await validate(args.shape);
  if (!verdict.ok) throw new SubcloneError('BadShape', `${describeShape(args.shape)}: ${verdict.message ?? 'not a valid shape'}`);
  return args.shape;
}

/** The subclone.outputFormat setting (an unknown value reads as the default, both). */
function outputFormatSetting(): OutputFormat {
  const value = vscode.workspace.getConfiguration('subclone').get<string>('outputFormat', 'both');
  return value === 'onnx' || value === 'hf' ? value : 'both';
}

/**
 * Runs apply under a progress notification (an observer, e.g. the importance panel, sees the progress and can
 * cancel); when the output exists and overwriting was not decided, asks once and runs again. Ends with the
 * notification that offers to reveal the child or open its overview. Undefined when the user declined to replace.
 */
export async function runApply(services: Services, params: Omit<Params<'apply'>, 'overwrite' | 'format'>, overwrite: boolean | undefined, observer?: ProgressObserver): Promise<ApplyResult | undefined> {
  const title = `Subclone ${modelName(params.file)} → ${describeShape(params.shape)}`;
  const format = outputFormatSetting();
  const run = (replace: boolean) => withWorkerProgress(title, (options) => services.worker.call('apply', { ...params, format, overwrite: replace }, options), observer);
  let result: ApplyResult | undefined;
  try {
    result = await run(overwrite ?? false);
  } catch (e) {
    if (!isSubcloneError(e, 'Exists') || overwrite !== undefined) throw e;
    const choice = await vscode.window.showWarningMessage(`${e.message}. Replace it?`, { modal: true }, 'Replace');
    if (choice !== 'Replace') return undefined;
    result = await run(true);
  }
  services.log.info(`subclone ${params.file} → ${result.modelFile} (${describeShape(params.shape)}, ${result.parameters.child} parameters)`);
  void announce(result, params.shape, params.data);
  return result;
}

async function announce(result: ApplyResult, shape: TargetShape, data: string | null): Promise<void> {
  const where = vscode.workspace.asRelativePath(result.outDir);
  const params = `${formatCount(result.parameters.child)} parameters (parent ${formatCount(result.parameters.parent)})`;
  const losses = result.losses?.child != null ? `; loss ${result.losses.child.toFixed(3)}${result.losses.parent != null ? ` vs parent ${result.losses.parent.toFixed(3)}` : ''}${result.losses.randomInit != null ? `, random init ${result.losses.randomInit.toFixed(3)}` : ''}` : '';
  const choice = await vscode.window.showInformationMessage(`Subclone: wrote ${where}/ with ${writtenText(result.written)} — ${describeShape(shape)}, ${params}${losses}.${result.written.hfNotWritten ? ` No Hugging Face checkpoint: ${result.written.hfNotWritten}.` : ''}`, 'Reveal in Explorer', 'Show Model Overview', 'Check Convergence');
  const uri = vscode.Uri.file(result.modelFile);
  // The calibration text is the natural data to train on; 'random' and data-free leave the choice to the panel.
  if (choice === 'Check Convergence') await vscode.commands.executeCommand('subclone.checkConvergence', uri, data && data !== 'random' ? { data } : {});
  if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', uri);
  if (choice === 'Show Model Overview') await vscode.commands.executeCommand('vscode.openWith', uri, OVERVIEW_VIEW_TYPE);
}

/** "model.onnx and a Hugging Face llama checkpoint (model.safetensors, config.json)": what a child's folder holds. */
export function writtenText(written: ApplyResult['written']): string {
  const hf = written.hf ? `a Hugging Face ${written.hf.modelType} checkpoint (${path.basename(written.hf.file)}, config.json)` : null;
  return [written.onnx ? 'model.onnx' : null, hf].filter((x): x is string => x !== null).join(' and ') || 'no model';
}
