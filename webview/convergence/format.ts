/** Numbers, durations and paths in the convergence panel's words. DOM-free. */
import { formatLr } from '../../src/protocol/convergenceFormat';
import type { RunInit } from '../../src/protocol/convergenceProtocol';
import { formatCount } from '../../src/protocol/shapes';

export { formatLr, formatCount };

/** "2,048". */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "4.2 s", "42 s", "2 min 10 s", "2 min", "1 h 5 min": a wall time for people. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const min = Math.floor(s / 60);
    const rest = s % 60;
    return rest ? `${min} min ${rest} s` : `${min} min`;
  }
  const total = Math.round(s / 60);
  const hours = Math.floor(total / 60);
  const min = total % 60;
  return min ? `${hours} h ${min} min` : `${hours} h`;
}

/** A validation or training loss: three decimals ("2.637"); "—" when there is none. */
export function formatLoss(loss: number | null | undefined): string {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? '—' : loss.toFixed(3);
}

/** "2.3×", "24.8×", "135×". */
export function formatSpeedup(ratio: number): string {
  // Two decimals below 10×, as the engine's sentence writes them (2.25×), so headline and sentence agree.
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** A step count that may be interpolated between evaluations: "60", "2.4", "0". */
export function formatStep(step: number): string {
  if (Number.isInteger(step) || step >= 100) return formatInt(step);
  return String(Number(step.toFixed(1)));
}

/** Two significant digits: "0.081", "1.2", "12". */
export function formatSeconds2(seconds: number): string {
  return String(Number(seconds.toPrecision(2)));
}

/** "subclone" / "random init": an init in a sentence. */
export function initName(init: RunInit): string {
  return init === 'subclone' ? 'subclone' : 'random init';
}

/** "subclone 3e-3", "random 1.2e-2": a run's name in legends and tables. */
export function runName(init: RunInit, lr: number): string {
  return `${init} ${formatLr(lr)}`;
}

/** "1 run", "8 runs". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${formatInt(n)} ${n === 1 ? word : words}`;
}

/** The last part of a path, for / and \ separators. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/** "conv-child/model.onnx": the file and its folder (models are often all called model.onnx). */
export function shortPath(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.slice(-2).join('/') || path;
}

/** The folder of a file path (with the path's own separator); "" for a bare name. */
export function dirName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '' : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** `relative` inside the folder of `file` (a run's CSV beside convergence.json), with the folder's separator. */
export function besideFile(file: string, relative: string): string {
  const dir = dirName(file);
  if (!dir) return relative;
  const sep = file.includes('\\') && !file.includes('/') ? '\\' : '/';
  const rel = relative.replace(/[\\/]/g, sep);
  return dir.endsWith(sep) ? `${dir}${rel}` : `${dir}${sep}${rel}`;
}

/** A notebook cell's execution marker: "[ ]" never run, "[*]" running, "[3]" the third execution. */
export function executionMarker(marker: number | 'running' | null): string {
  return marker === 'running' ? '[*]' : marker === null ? '[ ]' : `[${marker}]`;
}
