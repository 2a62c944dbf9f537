/**
 * The UI state that survives a reload (vscode.setState), for one child model: the Setup fields as typed, the last
 * estimate, the cells' execution markers, the log-scale choice and the next request id (so ids stay unique across
 * reloads, while the host may still stream an earlier sweep). DOM-free.
 */
import type { EstimateView, SetupValues } from '../../src/protocol/convergenceProtocol';
import { SETUP_FIELDS, setupText, type SetupText } from './setupFields';

export interface UiState {
  version: 1;
  /** The child's path (init.child.file): a state for another child is not restored. */
  child: string;
  text: SetupText;
  estimate: { requested: SetupValues; view: EstimateView } | null;
  logScale: boolean;
  /** Execution counter shared by the cells, like a notebook kernel's. */
  executions: number;
  markers: { setup: number | null; run: number | null };
  nextRequestId: number;
}

/**
 * The state to start from on `init`: the saved one when it is for this child, else the host's setup (keeping the
 * log-scale choice and the request counter, which are not the child's).
 */
export function restoreUi(saved: unknown, child: string, setup: SetupValues): UiState {
  if (isUiState(saved) && saved.child === child) return saved;
  const prior = isUiState(saved) ? saved : null;
  return freshUi(child, setup, prior?.logScale ?? false, prior?.nextRequestId ?? 1);
}

export function freshUi(child: string, setup: SetupValues, logScale = false, nextRequestId = 1): UiState {
  return { version: 1, child, text: setupText(setup), estimate: null, logScale, executions: 0, markers: { setup: null, run: null }, nextRequestId };
}

/** Marks a cell as executed with the next number of the shared counter. */
export function markExecuted(ui: UiState, cell: keyof UiState['markers']): void {
  ui.executions++;
  ui.markers[cell] = ui.executions;
}

/** A fresh request id (the host starts its own sweeps with 0, so ours start at 1). */
export function takeRequestId(ui: UiState): number {
  const id = Math.max(1, ui.nextRequestId);
  ui.nextRequestId = id + 1;
  return id;
}

export function isUiState(v: unknown): v is UiState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<UiState>;
  return (
    s.version === 1 &&
    typeof s.child === 'string' &&
    typeof s.text === 'object' &&
    s.text !== null &&
    SETUP_FIELDS.every((f) => typeof (s.text as unknown as Record<string, unknown>)[f] === 'string') &&
    typeof s.logScale === 'boolean' &&
    typeof s.executions === 'number' &&
    typeof s.nextRequestId === 'number' &&
    typeof s.markers === 'object' &&
    s.markers !== null
  );
}
