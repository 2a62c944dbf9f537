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
  'To enable CUDA, install CUDA 12 and cuDNN 9, then put onnxruntime\'s CUDA provider libraries ' +
  '(libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so of onnxruntime 1.30) beside its CPU binaries: ' +
  'in a checkout or npm install, `cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js` fetches them (needs network); ' +
  'for the installed extension, copy them into <extension>/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/.';

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
