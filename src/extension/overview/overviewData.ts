import type { ModelSummary } from '../../core/onnx/modelSummary';
import type { TransformerMap } from '../../core/recognize/transformerMap';
import type { OverviewData, Recognition } from '../../protocol/webviewProtocol';

/** Where the model is and what the overview can offer, besides what the worker read. */
export interface OverviewContext {
  fileName: string;
  path: string;
  fileBytes: number;
  trusted: boolean;
  /** A subclone.json sits beside the model: it was made by Subclone (the overview offers Check Convergence…). */
  subclone: boolean;
}

/** What `inspect` answered, or why it could not run. */
export type Inspection = { map: TransformerMap | null; unsupported: string | null } | { failed: string };

/** Builds what the overview webview renders from the worker's answers. Pure: no vscode, no I/O. */
export function overviewData(summary: ModelSummary, inspection: Inspection, context: OverviewContext): OverviewData {
  const recognition = recognitionOf(inspection);
  const disabled = !context.trusted
    ? 'Subclone… and importance run the model and write files: trust this workspace to use them.'
    : recognition.status === 'recognized'
      ? recognition.unsupported
        ? `Not supported yet: ${recognition.unsupported}`
        : null
      : 'Subclone… and importance need a recognised transformer (see Architecture).';
  return {
    fileName: context.fileName,
    path: context.path,
    fileBytes: context.fileBytes,
    producer: summary.producer,
    irVersion: summary.irVersion,
    opsets: summary.opsets,
    inputs: summary.inputs,
    outputs: summary.outputs,
    nodes: summary.nodes,
    ops: Object.entries(summary.ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    initializers: summary.initializers,
    parameters: summary.parameters,
    weightBytes: summary.weightBytes,
    externalData: summary.externalData,
    recognition,
    subclone: context.subclone,
    actionsEnabled: disabled === null,
    actionsDisabledReason: disabled,
  };
}

function recognitionOf(inspection: Inspection): Recognition {
  if ('failed' in inspection) return { status: 'unavailable', reason: `Model recognition is unavailable: ${inspection.failed}` };
  const { map, unsupported } = inspection;
  if (!map) return { status: 'unsupported', reason: unsupported ?? 'Not a recognised transformer.' };
  return {
    status: 'recognized',
    family: map.family,
    variant: map.variant,
    dims: map.dims,
    flavour: map.flavour,
    parameterCounts: map.parameterCounts,
    warnings: map.warnings,
    unsupported,
  };
}
