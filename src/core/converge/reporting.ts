import type { ProviderPreference } from '../runtime/executionProvider';
import { defaultSteps, estimateConvergence, type SweepEstimate } from './estimate';
import { formatConvergeEvent } from './progressMessage';
import { runConvergence, type ConvergeRequest } from './runConvergence';
import type { ConvergenceFile } from './convergenceFile';

/** A host's channel (the model worker's): progress lines, notices, cancellation and its provider preference. */
export interface HostChannel {
  signal: AbortSignal;
  provider: ProviderPreference;
  progress?: (fraction: number | undefined, message: string) => void;
  notice?: (message: string) => void;
}

/**
 * runConvergence over a host's progress channel: each run's status changes and each new point as one line
 * (formatConvergeEvent), with the fraction of all steps done; the request's provider wins over the host's.
 */
export async function convergeReporting(req: ConvergeRequest, host: HostChannel): Promise<{ file: string; cancelled: boolean; content: ConvergenceFile }> {
  let fraction: number | undefined;
  const line = (m: string) => host.progress?.(fraction, m);
  const r = await runConvergence(
    { ...req, settings: { ...req.settings, provider: req.settings?.provider ?? host.provider } },
    {
      signal: host.signal,
      ...(host.notice ? { onNotice: host.notice } : {}),
      onProgress: (f) => (fraction = f),
      onRunStart: (run, r) => line(formatConvergeEvent({ kind: 'status', run, init: r.init, lr: r.lr, status: r.status })),
      onPoint: (run, point) => line(formatConvergeEvent({ kind: 'point', run, point })),
      onRunFinish: (run, r) => line(formatConvergeEvent({ kind: 'status', run, init: r.init, lr: r.lr, status: r.status })),
      // A run past an edge of its sweep: announced as pending, with its init and lr, before it starts.
      onRunAdded: (run, r) => line(formatConvergeEvent({ kind: 'status', run, init: r.init, lr: r.lr, status: r.status })),
    },
  );
  return { file: r.file, cancelled: r.cancelled, content: r.content };
}

/** estimateConvergence plus the steps a sweep of these settings can train in about two minutes. */
export async function estimateWithDefaultSteps(req: Omit<ConvergeRequest, 'outDir' | 'overwrite'>, host: HostChannel): Promise<SweepEstimate & { defaultSteps: number }> {
  const e = await estimateConvergence(req.child, req.data, { ...req.settings, provider: req.settings?.provider ?? host.provider }, {
    signal: host.signal,
    ...(host.notice ? { onNotice: host.notice } : {}),
  });
  return { ...e, defaultSteps: defaultSteps(e, e.settings, e.runs) };
}
