import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let collect: (() => void) | null | undefined;

/**
 * A full garbage collection now, where V8 allows it (its gc function, exposed on first use); a no-op where not.
 * V8 collects when JavaScript allocates, and never sees the memory onnxruntime takes: weights JavaScript built and
 * wrote to a file (a subcloned model, say) stay in memory beside the session that reads them from that file until
 * JavaScript next allocates enough. Called before a large session opens, so the garbage goes first.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = vm.runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
