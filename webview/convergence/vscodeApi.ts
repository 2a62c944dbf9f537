import type { FromConvergence } from '../../src/protocol/convergenceProtocol';

interface VsCodeApi {
  postMessage(message: FromConvergence): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The webview's handle to the host; acquireVsCodeApi may be called only once per page. */
export const vscode: VsCodeApi = acquireVsCodeApi();
