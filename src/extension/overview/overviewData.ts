import type { ModelSummary } from '../../core/onnx/modelSummary';
import type { TransformerMap } from '../../core/recognize/transformerMap';
import type { HfCheckpointInfo, OverviewData, Recognition } from '../../protocol/webviewProtocol';

/** Where the model is and what the overview can offer, besides what the worker read. */
export interface OverviewContext {
  fileName: string;
  path: string;
  fileBytes: number;
  trusted: boolean;
  /** A subclone.json sits beside the model: it was made by Subclone (the overview offers Check Convergence…). */
  subclone: boolean;
  /** For a Hugging Face checkpoint: its folder's files as the host found them (hfFilesOf); absent for ONNX. */
  hf?: HfFiles;
}

/** A Hugging Face checkpoint folder's files, read by the host. */
export interface HfFiles {
  folder: string;
  /** config.json, relative to the workspace. */
  config: string;
  /** config.json's content (null when it cannot be read; the worker's error says why). */
  configJson: Record<string, unknown> | null;
  weights: { name: string; bytes: number | null }[];
  index: string | null;
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
    format: summary.format,
    description: summary.description,
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
    checkpoint: summary.format === 'safetensors' && context.hf ? checkpointInfo(summary.description, context.hf) : null,
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

/**
 * The checkpoint's description for the overview: the class from the graph's description ("<Class> built by
 * Subclone from …; tensors <Class> does not use: a, b"), else config.json's architectures; the rest from the files.
 */
export function checkpointInfo(description: string, files: HfFiles): HfCheckpointInfo {
  const built = /^(\S+) built by Subclone from /.exec(description);
  const unused = /; tensors \S+ does not use: (.+)$/.exec(description);
  const config = files.configJson ?? {};
  const listed = Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : null;
  const dtype = [config.torch_dtype, config.dtype].find((d): d is string => typeof d === 'string') ?? null;
  return {
    folder: files.folder,
    architecture: built?.[1] ?? listed ?? 'unknown class',
    modelType: typeof config.model_type === 'string' ? config.model_type : null,
    config: files.config,
    weights: files.weights,
    index: files.index,
    configDtype: dtype,
    unused: unused ? unused[1].split(', ').filter(Boolean) : [],
  };
}
