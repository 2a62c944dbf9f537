/**
 * The convergence engine's pure helpers that the panel shares, so both write learning rates and choose the auto
 * evaluation interval the same way. src/core/converge/settings.ts has no node imports: this bundles for the webview.
 */
export { autoEvalEvery, formatLr, sameLr } from '../core/converge/settings';

import { CONVERGE_DEFAULTS } from '../core/converge/settings';

/** Runs a sweep may add per init past an edge of its learning rates (the panel runs with the engine's default). */
export const DEFAULT_WIDEN = CONVERGE_DEFAULTS.widen;
