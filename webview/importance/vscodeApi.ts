import type { FromImportance } from '../../src/protocol/importanceProtocol';

interface VsCodeApi {
  postMessage(message: FromImportance): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The webview's handle to the host; acquireVsCodeApi may be called only once per page. */
export const vscode: VsCodeApi = acquireVsCodeApi();
