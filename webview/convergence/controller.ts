/**
 * The panel's state and everything that changes it: the host's messages (stale sweep events and answers to
 * superseded requests are dropped) and the user's actions (each posts one message). DOM-free: the cells read
 * `model` and call the actions; `changed` asks for a repaint.
 */
import type { ChildSummary, FromConvergence, SetupValues, ToConvergence } from '../../src/protocol/convergenceProtocol';
import { unreachable } from '../../src/protocol/webviewProtocol';
import { parseSetup, setupText, type ParsedSetup, type SetupField } from './setupFields';
import { acceptsEvent, addRun, applyPoint, applyStatus, sweepFromFile, sweepFromPlan, type SweepView } from './sweep';
import { markExecuted, restoreUi, takeRequestId, type UiState } from './state';

export interface RunRequest {
  requestId: number;
  /** starting: posted, no plan yet (the host may time a few steps to choose auto steps first). */
  phase: 'starting' | 'running' | 'cancelling';
  autoSteps: boolean;
}

export interface PanelModel {
  child: ChildSummary;
  untrainable: string | null;
  actionsDisabledReason: string | null;
  /** The host's fields (init.setup), for Reset. */
  initSetup: SetupValues;
  ui: UiState;
  parsed: ParsedSetup;
  /** Bumped when the fields' text changes other than by typing (init, dataPicked): the cell writes it back. */
  textVersion: number;
  estimating: { requestId: number; requested: SetupValues } | null;
  estimateError: string | null;
  sweep: SweepView | null;
  run: RunRequest | null;
  /** The last sweep request's outcome when it has no file: an error, or why nothing ran. */
  runMessage: { text: string; error: boolean } | null;
  /** The convergence.json shown (saved or just written). */
  file: string | null;
  /** Bumped on every change. */
  version: number;
}

export interface Host {
  post(message: FromConvergence): void;
  getState(): unknown;
  setState(state: UiState): void;
}

export class Controller {
  model: PanelModel | null = null;
  /** The setup of the last init this page received: a later init with another one replaces the fields. */
  private lastInitSetup: string | null = null;

  constructor(
    private readonly host: Host,
    private readonly changed: () => void,
  ) {}

  handle(m: ToConvergence): void {
    switch (m.type) {
      case 'init':
        this.init(m);
        break;
      case 'dataPicked':
        this.edit('data', m.path, true);
        return;
      case 'estimate': {
        const s = this.model;
        if (!s?.estimating || s.estimating.requestId !== m.requestId) return;
        s.ui.estimate = { requested: s.estimating.requested, view: m.estimate };
        s.estimating = null;
        s.estimateError = null;
        markExecuted(s.ui, 'setup');
        this.save();
        break;
      }
      case 'plan': {
        // Always taken: the host runs one sweep at a time and may start one itself (the command's `run`).
        const s = this.model;
        if (!s) return;
        s.sweep = sweepFromPlan(m.requestId, m.runs);
        s.run = { requestId: m.requestId, phase: s.run?.requestId === m.requestId && s.run.phase === 'cancelling' ? 'cancelling' : 'running', autoSteps: s.run?.autoSteps ?? false };
        s.runMessage = null;
        break;
      }
      case 'runAdded': {
        const sweep = this.model?.sweep ?? null;
        if (!sweep || sweep.phase !== 'running' || sweep.requestId !== m.requestId) return;
        addRun(sweep, m.run, m.planned);
        break;
      }
      case 'runStatus': {
        const sweep = this.model?.sweep ?? null;
        if (!acceptsEvent(sweep, m.requestId, m.run)) return;
        applyStatus(sweep, m.run, m.status);
        break;
      }
      case 'point': {
        const sweep = this.model?.sweep ?? null;
        if (!acceptsEvent(sweep, m.requestId, m.run)) return;
        applyPoint(sweep, m.run, m.point, m.fraction);
        break;
      }
      case 'finished': {
        const s = this.model;
        if (!s || !(s.run?.requestId === m.requestId || s.sweep?.requestId === m.requestId)) return;
        s.sweep = sweepFromFile(m.file, m.content, m.cancelled ? 'cancelled' : 'finished', m.requestId);
        s.file = m.file;
        s.run = null;
        markExecuted(s.ui, 'run');
        this.save();
        break;
      }
      case 'requestError':
        this.requestError(m);
        break;
      default:
        unreachable(m, 'host message');
    }
    this.bump();
  }

  private init(m: Extract<ToConvergence, { type: 'init' }>): void {
    const prev = this.model;
    const setupKey = JSON.stringify(m.setup);
    let ui: UiState;
    if (prev && prev.child.file === m.child.file && setupKey === this.lastInitSetup) ui = prev.ui;
    else if (prev) ui = restoreUi(null, m.child.file, m.setup);
    else ui = restoreUi(this.host.getState(), m.child.file, m.setup);
    if (prev && ui !== prev.ui) ui.nextRequestId = Math.max(ui.nextRequestId, prev.ui.nextRequestId);
    this.lastInitSetup = setupKey;
    const live = prev?.run ? prev : null; // a sweep in flight keeps its rows
    const saved = m.saved;
    if (saved && ui.markers.run === null) markExecuted(ui, 'run');
    this.model = {
      child: m.child,
      untrainable: m.untrainable,
      actionsDisabledReason: m.actionsDisabledReason,
      initSetup: m.setup,
      ui,
      parsed: parseSetup(ui.text),
      textVersion: (prev?.textVersion ?? 0) + 1,
      estimating: null,
      estimateError: null,
      sweep: live ? live.sweep : saved ? sweepFromFile(saved.file, saved.content, 'saved') : null,
      run: live ? live.run : null,
      runMessage: null,
      file: saved?.file ?? live?.file ?? null,
      version: (prev?.version ?? 0) + 1,
    };
    this.save();
  }

  private requestError(m: Extract<ToConvergence, { type: 'requestError' }>): void {
    const s = this.model;
    if (!s) return;
    if (s.estimating?.requestId === m.requestId) {
      s.estimating = null;
      s.estimateError = m.message;
      return;
    }
    if (s.run?.requestId !== m.requestId) return;
    const cancelled = m.code === 'Cancelled';
    s.runMessage = { text: cancelled ? `Not run: ${m.message}.` : m.message, error: !cancelled };
    s.run = null;
    // A live sweep that ended without a file: its rows stay as they were, no longer running.
    if (s.sweep?.phase === 'running' && s.sweep.requestId === m.requestId) {
      s.sweep.phase = 'cancelled';
      for (const r of s.sweep.runs) if (r.status === 'running' || r.status === 'pending') r.status = cancelled ? 'cancelled' : 'failed';
      s.sweep.version++;
    }
  }

  /** Why Estimate and Run cannot start now (null when they can). */
  blockedReason(): string | null {
    const s = this.model;
    if (!s) return 'Loading…';
    if (s.untrainable) return s.untrainable;
    if (s.actionsDisabledReason) return s.actionsDisabledReason;
    if (!s.parsed.ok) return 'Fix the Setup fields first.';
    return null;
  }

  /** Why nothing can run for this child (untrainable, untrusted workspace, …); the banner shows it. */
  lockedReason(): string | null {
    return this.pickBlockedReason();
  }

  /** Why picking data is not possible now. */
  pickBlockedReason(): string | null {
    const s = this.model;
    if (!s) return 'Loading…';
    return s.untrainable ?? s.actionsDisabledReason;
  }

  edit(field: SetupField, value: string, fromHost = false): void {
    const s = this.model;
    if (!s || s.ui.text[field] === value) return;
    s.ui.text = { ...s.ui.text, [field]: value };
    s.parsed = parseSetup(s.ui.text);
    if (fromHost) s.textVersion++;
    this.save();
    this.bump();
  }

  /** Puts the host's setup back in the fields (Reset). */
  resetFields(): void {
    const s = this.model;
    if (!s) return;
    s.ui.text = setupText(s.initSetup);
    s.parsed = parseSetup(s.ui.text);
    s.textVersion++;
    this.save();
    this.bump();
  }

  estimate(): void {
    const s = this.model;
    if (!s || !s.parsed.ok || this.blockedReason() || s.run || s.estimating) return;
    const requestId = takeRequestId(s.ui);
    const setup = s.parsed.values;
    s.estimating = { requestId, requested: setup };
    s.estimateError = null;
    this.save();
    this.host.post({ type: 'estimate', requestId, setup });
    this.bump();
  }

  run(): void {
    const s = this.model;
    if (!s || !s.parsed.ok || this.blockedReason() || s.run) return;
    const requestId = takeRequestId(s.ui);
    const setup = s.parsed.values;
    s.run = { requestId, phase: 'starting', autoSteps: setup.steps === null };
    s.runMessage = null;
    this.save();
    this.host.post({ type: 'run', requestId, setup });
    this.bump();
  }

  cancel(): void {
    const s = this.model;
    if (!s?.run || s.run.phase === 'cancelling') return;
    s.run.phase = 'cancelling';
    this.host.post({ type: 'cancel', requestId: s.run.requestId });
    this.bump();
  }

  pickData(): void {
    if (this.pickBlockedReason()) return;
    this.host.post({ type: 'pickData' });
  }

  open(path: string): void {
    this.host.post({ type: 'open', path });
  }

  setLogScale(on: boolean): void {
    const s = this.model;
    if (!s || s.ui.logScale === on) return;
    s.ui.logScale = on;
    this.save();
    this.bump();
  }

  private save(): void {
    if (this.model) this.host.setState(this.model.ui);
  }

  private bump(): void {
    if (this.model) this.model.version++;
    this.changed();
  }
}
