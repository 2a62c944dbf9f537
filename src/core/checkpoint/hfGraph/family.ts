import type { CheckpointTensors } from './checkpointTensors';
import type { ConfigReader } from './configReader';
import type { GraphBuilder } from './graphBuilder';

/** What a family's graph builder works with. */
export interface FamilyContext {
  b: GraphBuilder;
  config: ConfigReader;
  weights: CheckpointTensors;
  /** The HF class being built (one of the family's `architectures`). */
  architecture: string;
  /** config.json's model_type. */
  modelType: string;
}

/** A family of Hugging Face models Subclone builds as ONNX graphs. */
export interface FamilySpec {
  /** config.json model_type values it reads. */
  modelTypes: readonly string[];
  /** The base model's prefix in parameter names (base_model_prefix), per model type. */
  prefix(modelType: string): string;
  /** The HF classes it builds, per model type; the first is built when config.json names none. */
  architectures(modelType: string): readonly string[];
  /** Refuses config fields the build does not implement ("not supported yet"), before the weights are read. */
  check(config: ConfigReader, modelType: string): void;
  build(ctx: FamilyContext): void;
}
