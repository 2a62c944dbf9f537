// The model overview webview: renders what the host posts, sends the buttons' requests. Talks to the host only
// through the typed messages of src/protocol/webviewProtocol.ts, starting with `ready`.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeProgressRing,
  vsCodeTag,
} from '@vscode/webview-ui-toolkit';
import { unreachable, type ToOverview } from '../../src/protocol/webviewProtocol';
import { renderLoadError, renderLoading, renderOverview, type Actions } from './render';
import { vscode } from './vscodeApi';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDataGrid(), vsCodeDataGridRow(), vsCodeDataGridCell(), vsCodeProgressRing(), vsCodeTag());

const found = document.getElementById('root');
if (!found) throw new Error('overview: #root is missing');
const root: HTMLElement = found;

const actions: Actions = {
  subclone: () => vscode.postMessage({ type: 'subclone' }),
  computeImportance: () => vscode.postMessage({ type: 'computeImportance' }),
  showImportance: () => vscode.postMessage({ type: 'showImportance' }),
  checkConvergence: () => vscode.postMessage({ type: 'checkConvergence' }),
  reload: () => vscode.postMessage({ type: 'reload' }),
};

function show(message: ToOverview): void {
  switch (message.type) {
    case 'loading':
      root.replaceChildren(renderLoading(message.fileName));
      return;
    case 'model':
      root.replaceChildren(renderOverview(message.data, actions));
      document.title = message.data.fileName;
      return;
    case 'loadError':
      root.replaceChildren(renderLoadError(message.fileName, message.code, message.message, actions));
      return;
    default:
      unreachable(message, 'host message');
  }
}

window.addEventListener('message', (event: MessageEvent<ToOverview>) => show(event.data));
vscode.postMessage({ type: 'ready' });
