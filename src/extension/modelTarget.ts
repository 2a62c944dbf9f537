import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hfCheckpointFiles } from '../core/checkpoint/hfGraph/hfModel';
import { INDEX_FILE_NAME, shardFilesOf } from '../core/safetensors/shards';
import { OVERVIEW_VIEW_TYPE } from './overview/viewType';

/**
 * The model a command acts on: the URI it was invoked with (explorer context menu, editor title, overview
 * button), else the model in the active overview editor, else one the user picks from the workspace's models —
 * .onnx files and Hugging Face checkpoints — (or a file dialog when there are none). A Hugging Face folder or shard
 * comes back as the file that names the checkpoint (modelFileOf). Undefined when the user dismissed the choice.
 */
export async function resolveModel(arg: unknown, purpose: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return modelUriOf(arg);
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === OVERVIEW_VIEW_TYPE) return modelUriOf(input.uri);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isModel(active)) return modelUriOf(active);
  return pickModel(purpose);
}

/** An .onnx file. */
export function isOnnx(uri: vscode.Uri): boolean {
  return uri.path.toLowerCase().endsWith('.onnx');
}

/** A file Subclone opens as a model: an .onnx, a .safetensors file or a shard index (model.safetensors.index.json). */
export function isModel(uri: vscode.Uri): boolean {
  return isOnnx(uri) || isHfWeights(uri.path);
}

/** A Hugging Face checkpoint's weights: a .safetensors file or the shard index that lists them. */
export function isHfWeights(file: string): boolean {
  return /\.safetensors$/i.test(file) || path.basename(file).toLowerCase() === INDEX_FILE_NAME;
}

/** Whether a folder is a Hugging Face checkpoint: config.json with model.safetensors or model.safetensors.index.json. */
export function isHfFolder(folder: string): boolean {
  const files = hfCheckpointFiles(folder);
  return files !== undefined && path.dirname(files.weights) === path.resolve(folder) && fs.existsSync(files.config);
}

/**
 * The file that names the model at `p`: a Hugging Face folder's model.safetensors (or its shard index), the index
 * for one of the shards it lists, else `p` itself (an .onnx; a folder that is no checkpoint, which the engine
 * names in its error).
 */
export function modelFileOf(p: string): string {
  const abs = path.resolve(p);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(abs);
  } catch {
    return abs;
  }
  if (stat.isDirectory()) return hfCheckpointFiles(abs)?.weights ?? abs;
  if (/\.safetensors$/i.test(abs)) {
    const index = path.join(path.dirname(abs), INDEX_FILE_NAME);
    if (shardsOf(index).includes(path.basename(abs))) return index;
  }
  return abs;
}

/** The shard files a model.safetensors.index.json lists ([] when there is none or it is not a valid index). */
export function shardsOf(index: string): string[] {
  try {
    return shardFilesOf(index);
  } catch {
    return [];
  }
}

/** How messages name a model: "model.onnx"; "llama/model.safetensors" for a checkpoint, whose folder says more. */
export function modelName(file: string): string {
  return isHfWeights(file) ? `${path.basename(path.dirname(file))}/${path.basename(file)}` : path.basename(file);
}

function modelUriOf(uri: vscode.Uri): vscode.Uri {
  if (uri.scheme !== 'file') return uri;
  const file = modelFileOf(uri.fsPath);
  return file === path.resolve(uri.fsPath) ? uri : vscode.Uri.file(file);
}

interface ModelItem extends vscode.QuickPickItem {
  uri: vscode.Uri;
}

async function pickModel(purpose: string): Promise<vscode.Uri | undefined> {
  const exclude = '**/node_modules/**';
  const [onnx, weights] = await Promise.all([
    vscode.workspace.findFiles('**/*.onnx', exclude, 500),
    vscode.workspace.findFiles(`**/{model.safetensors,${INDEX_FILE_NAME}}`, exclude, 500),
  ]);
  const items: ModelItem[] = onnx.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri }));
  // One item per Hugging Face folder (a folder with both files is named by model.safetensors, as the engine does).
  for (const uri of weights) {
    const folder = path.dirname(uri.fsPath);
    if (!isHfFolder(folder) || modelFileOf(folder) !== uri.fsPath) continue;
    items.push({ label: path.basename(folder), description: `${vscode.workspace.asRelativePath(folder)} · Hugging Face checkpoint`, uri });
  }
  if (items.length === 0) {
    const picked = await vscode.window.showOpenDialog({
      title: `${purpose}: choose an ONNX model or a Hugging Face checkpoint's weights`,
      canSelectMany: false,
      filters: { 'ONNX models and safetensors weights': ['onnx', 'safetensors', 'json'] },
    });
    return picked?.[0] && modelUriOf(picked[0]);
  }
  items.sort((a, b) => ((a.description ?? '') + a.label).localeCompare((b.description ?? '') + b.label));
  const choice = await vscode.window.showQuickPick(items, { title: `${purpose}: choose a model`, matchOnDescription: true });
  return choice?.uri;
}
