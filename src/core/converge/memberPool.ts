import * as path from 'node:path';
import { SubcloneError, errorMessage, isSubcloneError, type ErrorCode } from '../errors';
import { helperScript, startThread } from '../spawn/helperScript';
import type { TrainProgress } from '../train/trainLoop';
import { runMember, type MemberHooks, type MemberResult, type MemberTask } from './member';
import type { FromMember, ToMember } from './memberMessages';

/** How a member ended. */
export type MemberOutcome =
  | { kind: 'done'; result: MemberResult }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: SubcloneError };

export interface PoolHooks {
  signal?: AbortSignal;
  onStart?: (task: number, initialValLoss: number) => void;
  onStep?: (task: number, p: TrainProgress) => void;
  onNotice?: (task: number, message: string) => void;
  /** Called as each member ends (before the pool does). */
  onEnd?: (task: number, outcome: MemberOutcome) => void;
}

/** The bundle name of the member thread's entry (esbuild.config.mjs; shipped in the .vsix by .vscodeignore). */
export const MEMBER_BUNDLE = 'convergeMember.js';

/**
 * Runs members `parallel` at a time in `order` (indexes into tasks): with parallel 1 one after another in this
 * thread, otherwise each in its own worker thread. Cancelling stops every running member before its next step and
 * starts no more; members that never started end 'cancelled'. Resolves when every member has ended.
 */
export async function runPool(tasks: readonly MemberTask[], order: readonly number[], parallel: number, hooks: PoolHooks = {}): Promise<MemberOutcome[]> {
  const outcomes: (MemberOutcome | undefined)[] = tasks.map(() => undefined);
  const queue = [...order];
  const end = (i: number, o: MemberOutcome) => {
    outcomes[i] = o;
    hooks.onEnd?.(i, o);
  };
  const script = parallel > 1 ? helperScript(path.join(__dirname, 'memberThread.ts'), MEMBER_BUNDLE, 'sweep member') : '';
  const lane = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      if (hooks.signal?.aborted) {
        end(i, { kind: 'cancelled' });
        continue;
      }
      const memberHooks = hooksFor(i, hooks);
      end(i, await (parallel > 1 ? inWorker(script, tasks[i], memberHooks) : inThread(tasks[i], memberHooks)));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, order.length)) }, lane));
  return outcomes.map((o) => o ?? { kind: 'cancelled' });
}

function hooksFor(i: number, hooks: PoolHooks): MemberHooks {
  return {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onStart: (v) => hooks.onStart?.(i, v),
    onStep: (p) => hooks.onStep?.(i, p),
    onNotice: (m) => hooks.onNotice?.(i, m),
  };
}

async function inThread(task: MemberTask, hooks: MemberHooks): Promise<MemberOutcome> {
  try {
    return { kind: 'done', result: await runMember(task, hooks) };
  } catch (e) {
    return failure(e);
  }
}

function inWorker(script: string, task: MemberTask, hooks: MemberHooks): Promise<MemberOutcome> {
  return new Promise((resolve) => {
    const worker = startThread(script, task);
    let settled = false;
    const settle = (o: MemberOutcome) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', cancel);
      void worker.terminate();
      resolve(o);
    };
    const cancel = () => worker.postMessage({ type: 'cancel' } satisfies ToMember);
    hooks.signal?.addEventListener('abort', cancel, { once: true });
    if (hooks.signal?.aborted) cancel();
    worker.on('message', (m: FromMember) => {
      switch (m.type) {
        case 'start':
          return hooks.onStart?.(m.initialValLoss);
        case 'step':
          return hooks.onStep?.(m.p);
        case 'notice':
          return hooks.onNotice?.(m.message);
        case 'done':
          return settle({ kind: 'done', result: m.result });
        case 'error':
          return settle(failure(new SubcloneError(m.code as ErrorCode, m.message)));
        default: {
          const never: never = m;
          throw new Error(`unknown member message ${JSON.stringify(never)}`);
        }
      }
    });
    worker.on('error', (e) => settle(failure(e)));
    worker.on('exit', (code) => settle(failure(new SubcloneError('Runtime', `a sweep member stopped unexpectedly (exit code ${code})`))));
  });
}

function failure(e: unknown): MemberOutcome {
  if (isSubcloneError(e, 'Cancelled')) return { kind: 'cancelled' };
  return { kind: 'failed', error: e instanceof SubcloneError ? e : new SubcloneError('Runtime', `internal error: ${errorMessage(e)}`, { cause: e }) };
}
