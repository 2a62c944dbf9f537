import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One line of the benchmark table. */
export interface BenchRow {
  /** Which issue/area: 'io', 'recognition', 'importance', 'subclone', 'train'. */
  group: string;
  what: string;
  seconds: number | null;
  peakRssMiB: number | null;
  /** The baseline it is compared against, and the ratio's target. */
  baseline?: string;
  ratio?: number | null;
  target?: string;
  note?: string;
}

export interface Measured<T> {
  seconds: number;
  peakRssMiB: number;
  value: T;
}

/**
 * Runs a bench task in a fresh Node process (so its peak RSS is its own): `bench/tasks/<task>.ts` is executed with
 * the given arguments and must print one JSON line `{"seconds":…, "value":…}` last. Peak RSS is the larger of the
 * task's own (its resource usage) and the sum over the task and the processes it starts (the recognition probe),
 * sampled every 20 ms.
 */
export async function runTask<T = unknown>(task: string, args: string[] = []): Promise<Measured<T>> {
  const script = path.join(__dirname, 'tasks', `${task}.ts`);
  const run = await runMeasured(['--import', 'tsx', script, ...args]);
  if (run.code !== 0) throw new Error(`bench task ${task} exited with ${run.code}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  let parsed: { seconds: number; value: T; peakRssMiB: number };
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    throw new Error(`bench task ${task} printed no result: ${run.stdout}`);
  }
  return { ...parsed, peakRssMiB: Math.max(parsed.peakRssMiB, run.treePeakMiB) };
}

/** What a CLI command printed, and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
}

/**
 * Runs the built CLI (dist/cli.js: `npm run bench` builds it first) as a user runs it — plain Node, no TypeScript
 * loader, which alone costs ~50 MiB — timed from start to exit, its peak RSS sampled every 20 ms over its process
 * tree (the recognition probe included). Stdout is the value; stderr (progress) is passed through. Throws when the
 * command fails.
 */
export async function runCli(args: string[]): Promise<Measured<CliRun>> {
  const run = await runMeasured([path.join(__dirname, '..', 'dist', 'cli.js'), ...args]);
  if (run.code !== 0) throw new Error(`subclone ${args[0]} exited with ${run.code}`);
  return { seconds: run.seconds, peakRssMiB: run.treePeakMiB, value: { code: run.code, stdout: run.stdout } };
}

/** Runs Node with `args`, its stdout collected, stderr passed through, its process tree's RSS sampled every 20 ms. */
function runMeasured(args: string[]): Promise<{ code: number; stdout: string; seconds: number; treePeakMiB: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let treePeak = 0;
    const sampler = setInterval(() => (treePeak = Math.max(treePeak, treeRssKiB(child.pid!))), 20);
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => {
      clearInterval(sampler);
      resolve({ code: code ?? 1, stdout, seconds: (performance.now() - start) / 1000, treePeakMiB: treePeak / 1024 });
    });
  });
}

/** Resident memory of a process and all its descendants now, in KiB (Linux /proc; 0 once it has ended). */
function treeRssKiB(pid: number): number {
  let total = 0;
  try {
    total += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const c of children ? children.split(/\s+/) : []) total += treeRssKiB(Number(c));
    }
  } catch {
    // The process ended while it was read.
  }
  return total;
}

/** For use inside a task: times `fn` and prints the result line the harness reads. */
export async function reportTask<T>(fn: () => Promise<T> | T): Promise<void> {
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ seconds, peakRssMiB, value })}\n`);
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['group', 'what', 'seconds', 'peak RSS MiB', 'vs', 'ratio', 'target', 'note'];
  const cells = rows.map((r) => [
    r.group,
    r.what,
    r.seconds === null ? '-' : r.seconds.toFixed(3),
    r.peakRssMiB === null ? '-' : r.peakRssMiB.toFixed(0),
    r.baseline ?? '',
    r.ratio === undefined || r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}
