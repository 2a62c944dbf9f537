import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isDirectory } from '../../core/fs/isDirectory';

/** What the user chose: a file or folder of calibration data, or null for data-free (weights only). */
export interface DataChoice {
  data: string | null;
}

type Remembered = { kind: 'dataFree' } | { kind: 'path'; path: string };

const DATA_EXTENSIONS = new Set(['.txt', '.jsonl', '.csv', '.npy', '.npz', '.parquet']);

interface DataItem extends vscode.QuickPickItem {
  choice?: DataChoice;
  browse?: 'file' | 'folder';
}

/**
 * Asks for calibration data: the choice remembered for this model (workspace state), data-free, data files found
 * beside the model, or a file or folder picked in a dialog. Remembers the answer. Undefined when dismissed.
 */
export async function pickCalibrationData(state: vscode.Memento, model: vscode.Uri, purpose: string): Promise<DataChoice | undefined> {
  const key = rememberKey(model);
  const remembered = state.get<Remembered>(key);
  const items: DataItem[] = [];
  const seen = new Set<string>();
  if (remembered?.kind === 'path' && fs.existsSync(remembered.path)) {
    items.push(pathItem(remembered.path, 'last used for this model'));
    seen.add(remembered.path);
  }
  const dataFree: DataItem = { label: '$(circle-slash) data-free (weights only)', detail: 'Rank neurons by weight magnitudes; no calibration run.', choice: { data: null } };
  if (remembered?.kind === 'dataFree') items.unshift({ ...dataFree, description: 'last used for this model' });
  else items.push(dataFree);
  const nearby = dataFilesBeside(model).filter((f) => !seen.has(f));
  if (nearby.length) items.push({ label: 'beside the model', kind: vscode.QuickPickItemKind.Separator });
  for (const f of nearby) items.push(pathItem(f, 'beside the model'));
  items.push({ label: 'other', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(file) Choose a file…', browse: 'file' });
  items.push({ label: '$(folder) Choose a folder…', browse: 'folder' });

  const picked = await vscode.window.showQuickPick(items, { title: `${purpose}: calibration data`, placeHolder: 'Data the importance ranking runs on', matchOnDetail: true });
  if (!picked) return undefined;
  const choice = picked.choice ?? (picked.browse ? await browse(picked.browse, model, purpose) : undefined);
  if (!choice) return undefined;
  await state.update(key, choice.data === null ? ({ kind: 'dataFree' } satisfies Remembered) : ({ kind: 'path', path: choice.data } satisfies Remembered));
  return choice;
}

/** The workspace-state key under which a model's data choice is remembered. */
export function rememberKey(model: vscode.Uri): string {
  return `subclone.calibrationData:${model.fsPath}`;
}

function pathItem(file: string, description: string): DataItem {
  const isDir = isDirectory(file);
  return {
    label: `$(${isDir ? 'folder' : 'file'}) ${path.basename(file)}`,
    description,
    detail: vscode.workspace.asRelativePath(file),
    choice: { data: file },
  };
}

function dataFilesBeside(model: vscode.Uri): string[] {
  const dir = path.dirname(model.fsPath);
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && DATA_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

async function browse(kind: 'file' | 'folder', model: vscode.Uri, purpose: string): Promise<DataChoice | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: `${purpose}: calibration data ${kind}`,
    defaultUri: vscode.workspace.getWorkspaceFolder(model)?.uri ?? vscode.Uri.file(path.dirname(model.fsPath)),
    canSelectFiles: kind === 'file',
    canSelectFolders: kind === 'folder',
    canSelectMany: false,
  });
  return picked?.[0] ? { data: picked[0].fsPath } : undefined;
}
