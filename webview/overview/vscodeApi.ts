import type { FromOverview } from '../../src/protocol/webviewProtocol';

interface VsCodeApi {
  postMessage(message: FromOverview): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The webview's handle to the host; acquireVsCodeApi may be called only once per page. */
export const vscode: VsCodeApi = acquireVsCodeApi();
