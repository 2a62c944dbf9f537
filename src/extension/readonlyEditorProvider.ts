import * as vscode from 'vscode';
import { Disposable } from './dispose';

/** A file opened in a read-only custom editor: only its URI; the editor never changes the file. */
class UriDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

/** What one editor's view must offer: disposal, and the messages it posts to its webview (for tests). */
export interface EditorView<M> extends vscode.Disposable {
  readonly onDidPost: vscode.Event<M>;
}

/**
 * A read-only custom editor whose content is a webview view per open editor (the model overview, the importance
 * panel). VS Code restores open editors after a window reload and keeps "Reopen Editor With…" available.
 */
export class ReadonlyEditorProvider<M> extends Disposable implements vscode.CustomReadonlyEditorProvider<UriDocument> {
  private readonly views = new Set<EditorView<M>>();
  private readonly postedEmitter = this.register(new vscode.EventEmitter<{ uri: vscode.Uri; message: M }>());
  /** Fires with every message a view posts to its webview. */
  readonly onDidPost = this.postedEmitter.event;

  /** Registers the provider for `viewType` (as declared in package.json `contributes.customEditors`). */
  static register<M>(viewType: string, create: (uri: vscode.Uri, panel: vscode.WebviewPanel) => EditorView<M>, options: { retainContextWhenHidden: boolean }): ReadonlyEditorProvider<M> {
    const provider = new ReadonlyEditorProvider(create);
    provider.register(vscode.window.registerCustomEditorProvider(viewType, provider, { supportsMultipleEditorsPerDocument: true, webviewOptions: options }));
    return provider;
  }

  private constructor(private readonly create: (uri: vscode.Uri, panel: vscode.WebviewPanel) => EditorView<M>) {
    super();
    this.register({ dispose: () => this.views.forEach((v) => v.dispose()) });
  }

  openCustomDocument(uri: vscode.Uri): UriDocument {
    return new UriDocument(uri);
  }

  resolveCustomEditor(document: UriDocument, panel: vscode.WebviewPanel): void {
    const view = this.create(document.uri, panel);
    this.views.add(view);
    view.onDidPost((message) => this.postedEmitter.fire({ uri: document.uri, message }));
    panel.onDidDispose(() => {
      this.views.delete(view);
      view.dispose();
    });
  }
}
