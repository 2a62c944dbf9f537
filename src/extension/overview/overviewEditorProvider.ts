import * as vscode from 'vscode';
import type { ToOverview } from '../../protocol/webviewProtocol';
import { Disposable } from '../dispose';
import type { Services } from '../services';
import { OverviewView } from './overviewView';
import { OVERVIEW_VIEW_TYPE } from './viewType';

/** A model opened in the overview: only its URI; the editor never changes the file. */
class ModelDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

/** The read-only custom editor for *.onnx: one OverviewView per open editor. */
export class OverviewEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  private readonly views = new Set<OverviewView>();
  private readonly postedEmitter = this.register(new vscode.EventEmitter<{ uri: vscode.Uri; message: ToOverview }>());
  /** Fires with every `model` or `loadError` message an overview posts to its webview. */
  readonly onDidPost = this.postedEmitter.event;

  static register(services: Services): OverviewEditorProvider {
    const provider = new OverviewEditorProvider(services);
    provider.register(
      vscode.window.registerCustomEditorProvider(OVERVIEW_VIEW_TYPE, provider, {
        supportsMultipleEditorsPerDocument: true,
        webviewOptions: { retainContextWhenHidden: false },
      }),
    );
    return provider;
  }

  private constructor(private readonly services: Services) {
    super();
    this.register({ dispose: () => this.views.forEach((v) => v.dispose()) });
  }

  openCustomDocument(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const view = new OverviewView(document.uri, panel, this.services);
    this.views.add(view);
    view.onDidPost((message) => this.postedEmitter.fire({ uri: document.uri, message }));
    panel.onDidDispose(() => {
      this.views.delete(view);
      view.dispose();
    });
  }

}
