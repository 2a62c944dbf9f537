import type * as vscode from 'vscode';
import type { ToConvergence } from '../protocol/convergenceProtocol';
import type { ToImportance } from '../protocol/importanceProtocol';
import type { ToOverview } from '../protocol/webviewProtocol';
import type { ModelWorker } from './worker/modelWorker';

/** An error a command showed as a notification. */
export interface ReportedError {
  action: string;
  code: string;
  message: string;
}

/**
 * What `activate` returns (`vscode.extensions.getExtension('subclone.subclone').exports`): a window into the
 * running extension for its integration tests and for other extensions; nothing here is needed to use it.
 */
export interface SubcloneApi {
  /** The model worker all model work runs in. */
  worker: ModelWorker;
  /** The execution-provider status bar item's text, e.g. "$(server-process) ORT: CPU". */
  providerStatus(): string;
  /** Fires with every `model` or `loadError` message an overview editor posts to its webview. */
  onDidPostOverview: vscode.Event<{ uri: vscode.Uri; message: ToOverview }>;
  /** Fires with every message (except `loading`) an importance panel posts to its webview. */
  onDidPostImportance: vscode.Event<{ uri: vscode.Uri; message: ToImportance }>;
  /** Fires with every message a convergence panel posts to its webview (`child`: the model's path). */
  onDidPostConvergence: vscode.Event<{ child: string; message: ToConvergence }>;
  /** The errors commands have shown since activation, oldest first. */
  reportedErrors: readonly ReportedError[];
  /** The workspace's Hugging Face checkpoint folders, as the context key `subclone.hfFolders` lists them (fsPaths). */
  hfFolders(): readonly string[];
  /** Resolves when the first search for checkpoint folders has set the context key. */
  hfFoldersReady: Promise<void>;
  /** Fires with the folders whenever the list changes. */
  onDidChangeHfFolders: vscode.Event<readonly string[]>;
}
