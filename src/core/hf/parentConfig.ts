import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointFile } from '../checkpoint/openCheckpoint';
import { readHfConfig } from '../checkpoint/hfGraph/hfModel';

/**
 * The config.json beside a model's weights (an HF folder's, or one next to an .onnx export), which the child's HF
 * config is made from; null when there is none.
 */
export function parentConfigOf(file: string): Record<string, unknown> | null {
  const config = path.join(path.dirname(checkpointFile(file)), 'config.json');
  return fs.existsSync(config) ? readHfConfig(config) : null;
}
