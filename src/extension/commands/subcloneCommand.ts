import * as path from 'node:path';
import * as vscode from 'vscode';
import { SubcloneError, isSubcloneError } from '../../core/errors';
import { describeShape, formatCount, type ShapePreset, type TargetShape } from '../../protocol/shapes';
import type { OutputFormat, Params, Result } from '../../protocol/workerProtocol';
import { resolveModel } from '../modelTarget';
import { OVERVIEW_VIEW_TYPE } from '../overview/viewType';
import type { Services } from '../services';
import { pickCalibrationData } from '../subclone/calibrationData';
import { parseActionArgs, type ActionArgs } from '../subclone/commandArgs';
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
  const name = path.basename(file);
  const { parent, presets } = await readModel(services, file, name);

  const shape = await chooseShape(services, args, file, name, parent, presets);
  if (!shape) return undefined;
  const data = args.data !== undefined ? { data: args.data } : await pickCalibrationData(services.state, model, `Subclone ${name}`);
  if (!data) return undefined;

  return runApply(services, { file, shape, data: data.data, ...(args.outDir ? { outDir: args.outDir } : {}) }, args.overwrite);
}

async function readModel(services: Services, file: string, name: string): Promise<{ parent: ParentShape; presets: ShapePreset[] }> {
  return withWorkerProgress(`Subclone: reading ${name}`, async (options) => {
    const { map, unsupported } = await services.worker.call('inspect', { file }, options);
    if (!map) throw new SubcloneError('Unsupported', `${name} cannot be subcloned: ${unsupported ?? 'it is not a recognised transformer'}`);
    if (unsupported) throw new SubcloneError('Unsupported', `${name} cannot be subcloned yet: ${unsupported}`);
    const presets = await services.worker.call('shapePresets', { file }, options);
    return { parent: { shape: parentShape(map.dims), parameters: map.parameterCounts.total }, presets };
  });
}

async function chooseShape(services: Services, args: ActionArgs, file: string, name: string, parent: ParentShape, presets: ShapePreset[]): Promise<TargetShape | undefined> {
  const validate = (shape: TargetShape) => services.worker.call('validateShape', { file, shape });
  if (args.shape === undefined) return pickShape(name, parent, presets, validate);
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
  const title = `Subclone ${path.basename(params.file)} → ${describeShape(params.shape)}`;
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
  const where = vscode.workspace.asRelativePath(result.modelFile);
  const params = `${formatCount(result.parameters.child)} parameters (parent ${formatCount(result.parameters.parent)})`;
  const losses = result.losses?.child != null ? `; loss ${result.losses.child.toFixed(3)}${result.losses.parent != null ? ` vs parent ${result.losses.parent.toFixed(3)}` : ''}${result.losses.randomInit != null ? `, random init ${result.losses.randomInit.toFixed(3)}` : ''}` : '';
  const choice = await vscode.window.showInformationMessage(`Subclone: wrote ${where} — ${describeShape(shape)}, ${params}${losses}.`, 'Reveal in Explorer', 'Show Model Overview', 'Check Convergence');
  const uri = vscode.Uri.file(result.modelFile);
  // The calibration text is the natural data to train on; 'random' and data-free leave the choice to the panel.
  if (choice === 'Check Convergence') await vscode.commands.executeCommand('subclone.checkConvergence', uri, data && data !== 'random' ? { data } : {});
  if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', uri);
  if (choice === 'Show Model Overview') await vscode.commands.executeCommand('vscode.openWith', uri, OVERVIEW_VIEW_TYPE);
}
