/**
 * What the Verdict cell says, in words, from the file's verdict (computed by the engine, never here) and the
 * file's runs (for their planned steps and the statuses of the runs left out). DOM-free.
 */
import { sameLr } from '../../src/protocol/convergenceFormat';
import type { ConvergenceRun, RunInit, Verdict } from '../../src/protocol/convergenceProtocol';
import { formatInt, formatLoss, formatLr, formatSpeedup, formatStep } from './format';

export type VerdictTone = 'faster' | 'not-reached' | 'no-target' | 'neutral';

export interface EqualLrRow {
  lr: string;
  /** random@lr's final validation loss. */
  target: string;
  /** subclone@lr's steps to it, or "not reached". */
  steps: string;
  speedup: string;
  reached: boolean;
}

export interface VerdictView {
  headline: string;
  tone: VerdictTone;
  /** One line under the headline: who reaches what, when. */
  detail: string | null;
  /** "2.637: the best random init's final validation loss (lr 3e-3, 60 steps)"; null without a target. */
  target: string | null;
  best: { init: RunInit; text: string }[];
  equalLr: EqualLrRow[];
  fastest: string | null;
  edges: string[];
  partial: string | null;
}

type Runs = readonly Pick<ConvergenceRun, 'init' | 'lr' | 'status' | 'steps'>[];

function runOf(runs: Runs, init: RunInit, lr: number | null): Runs[number] | null {
  if (lr === null) return null;
  return runs.find((r) => r.init === init && r.status === 'finished' && sameLr(r.lr, lr)) ?? runs.find((r) => r.init === init && sameLr(r.lr, lr)) ?? null;
}

export function verdictView(v: Verdict, runs: Runs, cancelled: boolean): VerdictView {
  const sub = runOf(runs, 'subclone', v.bestLr.subclone);
  const rnd = runOf(runs, 'random', v.bestLr.random);
  const { headline, tone, detail } = headlineOf(v, sub, rnd);
  return {
    headline,
    tone,
    detail,
    target: v.target === null ? null : `${formatLoss(v.target)}: the final validation loss of the best random-init run (lr ${formatLr(v.bestLr.random!)}${rnd ? `, ${formatInt(rnd.steps)} steps` : ''})`,
    best: (['subclone', 'random'] as const).flatMap((init) => {
      const lr = v.bestLr[init];
      const loss = v.finalValLoss[init];
      return lr === null ? [] : [{ init, text: `lr ${formatLr(lr)}, final validation loss ${formatLoss(loss)}` }];
    }),
    equalLr: v.speedupAtEqualLr.map((e) => ({
      lr: formatLr(e.lr),
      target: formatLoss(e.target),
      steps: e.stepsToTarget === null ? 'not reached' : formatStep(e.stepsToTarget),
      speedup: e.speedup !== null ? formatSpeedup(e.speedup) : e.reached ? 'from step 0' : 'not reached',
      reached: e.reached,
    })),
    fastest: fastestText(v),
    edges: edgeWarnings(v),
    partial: partialText(v, runs, cancelled),
  };
}

function headlineOf(v: Verdict, sub: Runs[number] | null, rnd: Runs[number] | null): { headline: string; tone: VerdictTone; detail: string | null } {
  if (v.target === null) return { headline: 'No finished random-init run: no target', tone: 'no-target', detail: null };
  const randomSteps = rnd ? ` (the best random-init run, lr ${formatLr(rnd.lr)}, gets there in ${formatInt(rnd.steps)} steps)` : '';
  if (v.bestLr.subclone === null) return { headline: 'No finished subclone run', tone: 'no-target', detail: null };
  const subLr = formatLr(v.bestLr.subclone);
  if (!v.reached || v.stepsToTarget === null) {
    const steps = sub?.steps ?? null;
    return {
      headline: steps === null ? 'Not reached' : `Not reached in ${formatInt(steps)} steps`,
      tone: 'not-reached',
      detail: `The best subclone run (lr ${subLr}) ends at ${formatLoss(v.finalValLoss.subclone)}, above the target ${formatLoss(v.target)}.`,
    };
  }
  if (v.speedupVsBestRandom === null) {
    return { headline: 'Faster from step 0: below the best-tuned random init’s final loss before training', tone: 'faster', detail: `The best subclone run (lr ${subLr}) starts below the target ${formatLoss(v.target)}: there are no steps to divide by.` };
  }
  return {
    headline: `${formatSpeedup(v.speedupVsBestRandom)} faster than the best-tuned random init`,
    tone: 'faster',
    detail: `The best subclone run (lr ${subLr}) reaches the target ${formatLoss(v.target)} at step ${formatStep(v.stepsToTarget)}${randomSteps}.`,
  };
}

function fastestText(v: Verdict): string | null {
  const f = v.fastest;
  if (!f || v.bestLr.subclone === null || sameLr(f.lr, v.bestLr.subclone)) return null;
  const speed = f.speedup !== null ? ` (${formatSpeedup(f.speedup)})` : '';
  return `The subclone run that reaches the target first is lr ${formatLr(f.lr)}, at step ${formatStep(f.stepsToTarget)}${speed}; the headline stays with the run of the lowest final loss.`;
}

function edgeWarnings(v: Verdict): string[] {
  const out: string[] = [];
  for (const init of ['subclone', 'random'] as const) {
    const edge = v.edges[init];
    if (!edge) continue;
    const side = edge === 'lowest' ? 'below' : 'above';
    const consequence = init === 'random' ? 'a better-tuned random init could make the speed-up smaller' : 'a better-tuned subclone could do better still';
    out.push(`The best learning rate of ${init === 'random' ? 'random init' : 'the subclone'} is the ${edge} of its sweep: the optimum may lie ${side} it — widen the sweep (${consequence}).`);
  }
  return out;
}

function partialText(v: Verdict, runs: Runs, cancelled: boolean): string | null {
  const { finished, planned } = v.over;
  if (finished >= planned && !cancelled) return null;
  const left = new Map<string, number>();
  for (const r of runs) if (r.status !== 'finished') left.set(r.status, (left.get(r.status) ?? 0) + 1);
  const why = [...left].map(([status, n]) => `${n} ${status}`).join(', ');
  return `Over ${finished} of ${planned} planned runs${why ? ` (${why})` : ''}${cancelled ? ': the sweep was cancelled' : ''}.`;
}

/** What the cell says when there is no verdict to show. */
export function verdictPlaceholder(running: boolean): string {
  return running ? 'The verdict comes when the sweep ends (or is cancelled).' : 'Run the sweep to get a verdict.';
}
