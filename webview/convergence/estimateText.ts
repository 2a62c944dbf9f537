/** The Setup cell's estimate in words, and the placeholders it gives the auto fields. DOM-free. */
import { autoEvalEvery } from '../../src/protocol/convergenceFormat';
import type { EstimateView } from '../../src/protocol/convergenceProtocol';
import { formatDuration, formatInt, formatSeconds2, plural } from './format';

/**
 * "About 2 min 10 s: 8 runs, 2 side by side, 600 steps each (0.081 s/step, 2,048 tokens/step). Auto steps: 600."
 * `autoSteps`: whether the steps field was left empty (auto).
 */
export function estimateSentence(e: EstimateView, autoSteps: boolean): string {
  const side = e.parallel > 1 ? `${e.parallel} side by side` : 'one at a time';
  const unit = itemsUnit(e);
  const main = `About ${formatDuration(e.sweepSeconds)}: ${plural(e.runs, 'run')}, ${side}, ${formatInt(e.setup.steps)} steps each (${formatSeconds2(e.stepSeconds)} s/step, ${formatInt(e.tokensPerStep)} ${unit}/step).`;
  const auto = autoSteps ? ` Auto steps: ${formatInt(e.defaultSteps)}.` : ` Auto steps would be ${formatInt(e.defaultSteps)}.`;
  return main + auto;
}

/** Images when a step is one item per sequence of the batch (image data); else tokens. */
function itemsUnit(e: EstimateView): string {
  return e.tokensPerStep === e.setup.batch && e.setup.seq !== 1 ? 'images' : 'tokens';
}

/** The steps field's placeholder: "auto", or "auto (≈600)" once an estimate gave the default. */
export function stepsPlaceholder(defaultSteps: number | null): string {
  return defaultSteps === null ? 'auto' : `auto (≈${formatInt(defaultSteps)})`;
}

/** The evaluate-every placeholder: "auto", or "auto (≈25)" when the steps (typed, or the estimate's auto) are known. */
export function evalEveryPlaceholder(steps: number | null): string {
  return steps === null ? 'auto' : `auto (≈${formatInt(autoEvalEvery(steps))})`;
}
