import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isDirectory } from '../core/fs/isDirectory';
import { INDEX_FILE_NAME, SINGLE_FILE_NAME } from '../core/safetensors/shards';
import { Disposable } from './dispose';
import type { Log } from './log';
import { isHfFolder } from './modelTarget';

/** The context key that lists the workspace's Hugging Face checkpoint folders (for the explorer's `when` clauses). */
export const HF_FOLDERS_CONTEXT = 'subclone.hfFolders';

const EXCLUDE = '**/node_modules/**';
const WEIGHTS = `{${SINGLE_FILE_NAME},${INDEX_FILE_NAME}}`;
/** Above this many new paths in one burst (an npm install, a large copy), search the whole workspace once instead. */
const MAX_PATHS_PER_BURST = 200;

/**
 * Keeps the context key `subclone.hfFolders` current: the folders of the workspace that hold config.json with
 * model.safetensors or model.safetensors.index.json, so the explorer offers Subclone's items on them
 * (`explorerResourceIsFolder && resourcePath in subclone.hfFolders`) and on no other folder. Found once with a
 * file search, then kept by file-system watchers on `**∕config.json` and `**∕model.safetensors*`. A folder that
 * appears as a whole (a subclone is written to a temporary folder and renamed into place; a checkpoint copied in)
 * is reported as the folder alone, and the recursive watcher can miss the files of a folder created a moment
 * earlier, so new folders are searched too, and deleted ones prune the list.
 */
export class HfFolders extends Disposable {
  private readonly folders = new Set<string>();
  private readonly changedEmitter = this.register(new vscode.EventEmitter<readonly string[]>());
  /** Fires with the folders whenever the list changes. */
  readonly onDidChange = this.changedEmitter.event;
  private pending = new Set<string>();
  /** New paths that may be folders holding checkpoints. */
  private created = new Set<string>();
  private rescanWanted = false;
  private timer: NodeJS.Timeout | undefined;
  private published = '';
  /** Resolves when the first search has been published. */
  readonly ready: Promise<void>;

  constructor(private readonly log: Log) {
    super();
    for (const glob of ['**/config.json', '**/model.safetensors*']) {
      const watcher = this.register(vscode.workspace.createFileSystemWatcher(glob, false, true, false));
      const check = (uri: vscode.Uri) => this.check(path.dirname(uri.fsPath));
      this.register(watcher.onDidCreate(check));
      this.register(watcher.onDidDelete(check));
    }
    const any = this.register(vscode.workspace.createFileSystemWatcher('**/*', false, true, false));
    this.register(any.onDidCreate((uri) => !isCheckpointFile(uri.fsPath) && this.search(uri.fsPath)));
    this.register(any.onDidDelete((uri) => !isCheckpointFile(uri.fsPath) && this.prune()));
    // A folder deleted or renamed as a whole reports only itself, not the files the watchers look for.
    this.register(vscode.workspace.onDidDeleteFiles(() => this.prune()));
    this.register(vscode.workspace.onDidRenameFiles(() => this.rescan()));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.rescan()));
    this.register({ dispose: () => clearTimeout(this.timer) });
    this.ready = this.scan();
  }

  /** The checkpoint folders, as file-system paths, sorted. */
  get list(): readonly string[] {
    return [...this.folders].sort();
  }

  private async scan(): Promise<void> {
    try {
      const found = await vscode.workspace.findFiles(`**/${WEIGHTS}`, EXCLUDE, 10_000);
      this.folders.clear();
      for (const uri of found) {
        const folder = path.dirname(uri.fsPath);
        if (isHfFolder(folder)) this.folders.add(folder);
      }
    } catch (e) {
      this.log.error('looking for Hugging Face checkpoint folders', e);
    }
    await this.publish();
  }

  private check(folder: string): void {
    this.pending.add(folder);
    this.schedule();
  }

  private search(p: string): void {
    if (p.split(/[\\/]/).includes('node_modules')) return;
    this.created.add(p);
    this.schedule();
  }

  private rescan(): void {
    this.rescanWanted = true;
    this.schedule();
  }

  private prune(): void {
    for (const folder of this.folders) this.pending.add(folder);
    this.schedule();
  }

  /** Changes come in bursts (a checkpoint copied in, a subclone written): handle them together. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), 150);
  }

  private async flush(): Promise<void> {
    if (this.isDisposed) return;
    const created = [...this.created];
    this.created.clear();
    if (this.rescanWanted || created.length > MAX_PATHS_PER_BURST) {
      this.rescanWanted = false;
      this.pending.clear();
      await this.scan();
      return;
    }
    for (const p of created) {
      if (!isDirectory(p)) continue;
      this.pending.add(p);
      try {
        const found = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(p), `**/${WEIGHTS}`), EXCLUDE, 1_000);
        for (const uri of found) this.pending.add(path.dirname(uri.fsPath));
      } catch (e) {
        this.log.error(`looking for Hugging Face checkpoints in ${p}`, e);
      }
    }
    for (const folder of this.pending) {
      if (isHfFolder(folder)) this.folders.add(folder);
      else this.folders.delete(folder);
    }
    this.pending.clear();
    await this.publish();
  }

  private async publish(): Promise<void> {
    for (const folder of this.folders) if (!fs.existsSync(folder)) this.folders.delete(folder);
    const list = this.list;
    // The workbench's resourcePath is the fsPath for file URIs and the URI's path for remote ones: give both.
    const value = [...new Set(list.flatMap((f) => [f, vscode.Uri.file(f).path]))];
    const key = JSON.stringify(value);
    if (key === this.published || this.isDisposed) return;
    this.published = key;
    await vscode.commands.executeCommand('setContext', HF_FOLDERS_CONTEXT, value);
    this.changedEmitter.fire(list);
  }
}

/** A file the checkpoint watchers already follow. */
function isCheckpointFile(p: string): boolean {
  const name = path.basename(p);
  return name === 'config.json' || name.startsWith(SINGLE_FILE_NAME);
}
