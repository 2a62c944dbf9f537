/** The Run cell's lines in words: the progress of a live sweep, the summary of a finished or saved one. DOM-free. */
import { DEFAULT_WIDEN } from '../../src/protocol/convergenceFormat';
import type { SetupValues } from '../../src/protocol/convergenceProtocol';
import type { RunRequest } from './controller';
import { formatDuration, plural } from './format';
import { endedRuns, type SweepView } from './sweep';

/** "Training: 3 of 8 runs ended · 42%", or what happens before the plan arrives. */
export function progressText(run: RunRequest, sweep: SweepView | null): string {
  if (run.phase === 'cancelling') return 'Cancelling: every run stops before its next step…';
  const live = sweep && sweep.phase === 'running' && sweep.requestId === run.requestId ? sweep : null;
  if (!live) return run.autoSteps ? 'Starting: timing a few steps to choose the steps…' : 'Starting…';
  const pct = live.fraction === null ? '' : ` · ${Math.floor(live.fraction * 100)}%`;
  return `Training: ${endedRuns(live)} of ${plural(live.runs.length, 'run')} ended${pct}`;
}

/** "Finished: 8 runs in 1 min 53 s.", "Cancelled: 3 of 8 runs finished.", "Saved results from 2026-12-03 09:02 UTC …". */
export function summaryText(sweep: SweepView): string | null {
  const c = sweep.content;
  if (!c) return sweep.phase === 'cancelled' ? 'Stopped before the results were written.' : null;
  const finished = c.runs.filter((r) => r.status === 'finished').length;
  const total = c.runs.length;
  const time = ` in ${formatDuration(c.seconds)}`;
  const counts = finished === total ? `${plural(total, 'run')}${time}` : `${finished} of ${plural(total, 'run')} finished${time}`;
  if (sweep.phase === 'saved') {
    const when = isoMinute(c.finishedAt ?? c.createdAt);
    const state = c.status === 'running' ? ': the sweep did not finish (interrupted, or still running elsewhere)' : c.status === 'finished' ? '' : ` (${c.status})`;
    return `Saved results from ${when}: ${counts}${state}.`;
  }
  return `${sweep.phase === 'cancelled' || c.status === 'cancelled' ? 'Cancelled' : c.status === 'failed' ? 'Failed' : 'Finished'}: ${counts}.`;
}

/** What ▶ will train, before any run: "▶ trains 8 runs: the subclone at 4 learning rates, random init at 4." */
export function planPreview(setup: SetupValues | null): string {
  if (!setup) return 'No runs yet.';
  const n = setup.lrs.length + setup.randomLrs.length;
  return `No runs yet: ▶ trains ${plural(n, 'run')}, the subclone at ${plural(setup.lrs.length, 'learning rate')} and random init at ${plural(setup.randomLrs.length, 'learning rate')}, and up to ${DEFAULT_WIDEN} more per init where its best rate is the edge of its sweep.`;
}

function isoMinute(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
