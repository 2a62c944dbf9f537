/**
 * The panel's requests to the host and what comes back: request ids, the debounced `select` (stale answers are
 * dropped by id), the long jobs (score blocks, fit a budget, subclone) with their progress and Cancel. Knows
 * nothing of the DOM: it changes the state and asks for a repaint.
 */
import type { Budget, FromImportance, PanelBlockPolicy, ToImportance } from '../../src/protocol/importanceProtocol';
import { unreachable } from '../../src/protocol/webviewProtocol';
import type { TargetShape } from '../../src/protocol/shapes';
import type { JobState, PanelState, UiState } from './state';

const SELECT_DEBOUNCE_MS = 150;

export interface Host {
  post(message: FromImportance): void;
  saveUi(ui: UiState): void;
}

export class Controller {
  private nextId = 1;
  private selectId = 0;
  private selectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly state: PanelState,
    private readonly host: Host,
    private readonly repaint: () => void,
  ) {}

  /** A UI change that needs no host (order toggles, budget text): saved and repainted. */
  setUi(patch: Partial<UiState>): void {
    Object.assign(this.state.ui, patch);
    this.host.saveUi(this.state.ui);
    this.repaint();
  }

  /** A new shape or policy: checked by the engine after a short pause (typing), or at once. */
  choose(shape: TargetShape, policy: PanelBlockPolicy, now = false): void {
    this.state.inputError = null;
    this.setUi({ shape, policy });
    this.select(now);
  }

  inputInvalid(message: string): void {
    this.state.inputError = message;
    if (this.selectTimer) clearTimeout(this.selectTimer);
    this.selectId = 0;
    this.state.selecting = false;
    this.repaint();
  }

  select(now = false): void {
    const { shape, policy } = this.state.ui;
    if (!shape || !policy || !this.state.data.parent) return;
    if (this.selectTimer) clearTimeout(this.selectTimer);
    this.state.selecting = true;
    const send = () => {
      this.selectTimer = null;
      this.selectId = this.nextId++;
      this.host.post({ type: 'select', requestId: this.selectId, shape, policy });
    };
    if (now) send();
    else this.selectTimer = setTimeout(send, SELECT_DEBOUNCE_MS);
  }

  scoreBlocks(): void {
    const shape = this.state.ui.shape;
    if (shape) this.start(this.state.scoring, (requestId) => ({ type: 'scoreBlocks', requestId, shape }));
  }

  fitBudget(budget: Budget, candidates: number): void {
    this.state.budget.result = null;
    this.start(this.state.budget, (requestId) => ({ type: 'fitBudget', requestId, budget, candidates }));
  }

  subclone(): void {
    const { shape, policy } = this.state.ui;
    if (shape && policy) this.start(this.state.subclone, (requestId) => ({ type: 'subclone', requestId, shape, policy }));
  }

  cancel(job: JobState<unknown>): void {
    if (job.job) this.host.post({ type: 'cancel', requestId: job.job.requestId });
  }

  post(message: FromImportance): void {
    this.host.post(message);
  }

  /** Every host message but loading/report/loadError, which main.ts handles (they replace the page). */
  handle(message: Exclude<ToImportance, { type: 'loading' | 'report' | 'loadError' }>): void {
    const s = this.state;
    switch (message.type) {
      case 'selection':
        if (message.requestId !== this.selectId) return;
        s.selection = message.selection;
        s.selecting = false;
        s.selectError = null;
        break;
      case 'progress': {
        const job = this.jobOf(message.requestId);
        if (job?.job) job.job.progress = { fraction: message.fraction, message: message.message };
        break;
      }
      case 'blockScores':
        if (!this.finish(s.scoring, message.requestId, message.search)) return;
        this.select(true);
        break;
      case 'budget':
        if (!this.finish(s.budget, message.requestId, message.result)) return;
        break;
      case 'subcloned':
        if (!this.finish(s.subclone, message.requestId, message.run)) return;
        break;
      case 'requestError':
        if (!this.fail(message.requestId, message.code === 'Cancelled' ? 'Cancelled.' : message.message)) return;
        break;
      default:
        unreachable(message, 'importance host message');
    }
    this.repaint();
  }

  private start<T>(job: JobState<T>, make: (requestId: number) => FromImportance): void {
    if (job.job) return;
    const requestId = this.nextId++;
    job.job = { requestId, progress: null };
    job.error = null;
    this.host.post(make(requestId));
    this.repaint();
  }

  private finish<T>(job: JobState<T>, requestId: number, result: T): boolean {
    if (job.job?.requestId !== requestId) return false;
    job.job = null;
    job.result = result;
    return true;
  }

  private fail(requestId: number, message: string): boolean {
    if (requestId === this.selectId) {
      this.state.selectError = message;
      this.state.selecting = false;
      return true;
    }
    const job = this.jobOf(requestId);
    if (!job) return false;
    job.job = null;
    job.error = message;
    return true;
  }

  private jobOf(requestId: number): JobState<unknown> | null {
    const s = this.state;
    return [s.scoring, s.budget, s.subclone].find((j) => j.job?.requestId === requestId) ?? null;
  }
}
