import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ToConvergence } from '../../protocol/convergenceProtocol';
import { Disposable } from '../dispose';
import type { Services } from '../services';
import { ConvergencePanel } from './convergencePanel';
import type { ConvergenceOptions } from './convergenceSettings';

/** The webview panel type, as package.json's activation event `onWebviewPanel:subclone.convergence` names it. */
export const CONVERGENCE_VIEW_TYPE = 'subclone.convergence';

/** What the webview keeps in its state (vscode.setState): the child, so a reload can restore the panel. */
interface RestorableState {
  child?: unknown;
}

/**
 * The open convergence panels, one per child model: opening a child's panel again reveals it. Restores the panels
 * that were open when the window reloaded (the webview's saved state names the child; the results come from its
 * convergence.json).
 */
export class ConvergencePanels extends Disposable {
  private readonly panels = new Map<string, ConvergencePanel>();
  private readonly postedEmitter = this.register(new vscode.EventEmitter<{ child: string; message: ToConvergence }>());
  /** Fires with every message a convergence panel posts to its webview (for tests). */
  readonly onDidPost = this.postedEmitter.event;

  constructor(private readonly services: Services) {
    super();
    this.register(
      vscode.window.registerWebviewPanelSerializer(CONVERGENCE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: RestorableState | undefined) => {
          const child = typeof state?.child === 'string' ? state.child : undefined;
          if (!child || this.panels.has(child)) return panel.dispose();
          this.adopt(child, panel, {});
        },
      }),
    );
    this.register({ dispose: () => this.panels.forEach((p) => p.dispose()) });
  }

  /** Opens (or reveals) the child's panel; new options fill its Setup fields. */
  show(child: string, options: ConvergenceOptions): ConvergencePanel {
    const open = this.panels.get(child);
    if (open) {
      open.panel.reveal();
      open.reopen(options);
      return open;
    }
    const title = `Convergence: ${path.basename(path.dirname(child))}`;
    const panel = vscode.window.createWebviewPanel(CONVERGENCE_VIEW_TYPE, title, vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true });
    return this.adopt(child, panel, options);
  }

  get(child: string): ConvergencePanel | undefined {
    return this.panels.get(child);
  }

  private adopt(child: string, panel: vscode.WebviewPanel, options: ConvergenceOptions): ConvergencePanel {
    panel.iconPath = vscode.Uri.joinPath(this.services.extensionUri, 'media', 'convergence.svg');
    const view = new ConvergencePanel(child, panel, this.services, options);
    this.panels.set(child, view);
    view.onDidPost((message) => this.postedEmitter.fire({ child, message }));
    panel.onDidDispose(() => {
      if (this.panels.get(child) === view) this.panels.delete(child);
    });
    return view;
  }
}
