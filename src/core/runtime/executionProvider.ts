import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

export type ProviderPreference = 'auto' | 'cuda' | 'cpu';
export type Provider = 'cuda' | 'cpu';

/** Where onnxruntime-node keeps its native libraries on this platform. */
export function ortBinaryDir(): string {
  const req = createRequire(__filename);
  const pkg = path.dirname(req.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

export const CUDA_INSTALL_HINT =
  'To enable CUDA, install CUDA 12 and cuDNN 9 and fetch the provider with network access: ' +
  '`cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js` ' +
  '(in the installed extension, that folder is inside the extension\'s directory).';

/**
 * Whether the CUDA provider library is present. onnxruntime-node bundles only the CPU provider; the CUDA one is
 * a separate download that offline installs skip.
 */
export function cudaProviderInstalled(): boolean {
  const name = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  try {
    return fs.existsSync(path.join(ortBinaryDir(), name));
  } catch {
    return false;
  }
}
