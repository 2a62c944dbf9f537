// The convergence panel (placeholder until the webview lands).
import type { FromConvergence } from '../../src/protocol/convergenceProtocol';

declare function acquireVsCodeApi(): { postMessage(message: FromConvergence): void };
acquireVsCodeApi().postMessage({ type: 'ready' });
