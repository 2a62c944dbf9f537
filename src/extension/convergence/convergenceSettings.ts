import * as vscode from 'vscode';
import { SubcloneError } from '../../core/errors';
import { commandOptions } from '../commandOptions';
import { CONVERGE_DEFAULTS } from '../../core/converge/settings';
import type { SetupValues } from '../../protocol/convergenceProtocol';
import type { Services } from '../services';

/**
 * The options of `subclone.checkConvergence` (keybindings, tasks, tests): any Setup field, `run` to start the
 * sweep at once (the command then resolves with its outcome), `overwrite` to replace saved results without asking.
 */
export interface ConvergenceOptions extends Partial<SetupValues> {
  run?: boolean;
  overwrite?: boolean;
}

const OPTION_KEYS = ['data', 'steps', 'batch', 'seq', 'evalEvery', 'lrs', 'randomLrs', 'run', 'overwrite'] as const;

/** Checks the command's options; keys VS Code itself passes (preserveFocus, …) are not ours and are ignored. */
export function parseConvergenceOptions(value: unknown, log: Services['log']): ConvergenceOptions {
  const o = commandOptions(value, OPTION_KEYS, (keys) => log.info(`Check Convergence: ignored option(s) it does not own: ${keys.join(', ')}`));
  const int = (k: string) => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new SubcloneError('BadArgument', `options.${k} must be a positive whole number, got ${JSON.stringify(v)}`);
    return v;
  };
  const lrs = (k: string) => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !(x > 0))) throw new SubcloneError('BadArgument', `options.${k} must be a list of positive numbers`);
    return v as number[];
  };
  const bool = (k: string) => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new SubcloneError('BadArgument', `options.${k} must be true or false`);
    return v;
  };
  if (o.data !== undefined && o.data !== null && typeof o.data !== 'string') throw new SubcloneError('BadArgument', 'options.data must be a path');
  const out: ConvergenceOptions = {};
  const set = <K extends keyof ConvergenceOptions>(k: K, v: ConvergenceOptions[K] | undefined) => v !== undefined && (out[k] = v);
  set('data', o.data as string | undefined);
  set('steps', int('steps'));
  set('batch', int('batch'));
  set('seq', int('seq'));
  set('evalEvery', int('evalEvery'));
  set('lrs', lrs('lrs'));
  set('randomLrs', lrs('randomLrs'));
  set('run', bool('run'));
  set('overwrite', bool('overwrite'));
  return out;
}

/** The Setup fields from the settings (`subclone.convergence.*`) and the data last used for this child. */
export function convergenceDefaults(services: Services, child: string): Omit<SetupValues, 'evalEvery'> {
  const config = vscode.workspace.getConfiguration('subclone.convergence');
  const steps = config.get<number>('steps', 0);
  const rates = config.get<{ subclone?: number[]; random?: number[] }>('learningRates', {});
  const valid = (xs: unknown): xs is number[] => Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === 'number' && x > 0);
  return {
    data: services.state.get<string>(dataKey(child)) ?? null,
    steps: Number.isInteger(steps) && steps > 0 ? steps : null,
    batch: CONVERGE_DEFAULTS.batch,
    seq: CONVERGE_DEFAULTS.seq,
    lrs: valid(rates.subclone) ? rates.subclone : [...CONVERGE_DEFAULTS.lrs],
    randomLrs: valid(rates.random) ? rates.random : [...CONVERGE_DEFAULTS.randomLrs],
  };
}

export function rememberData(services: Services, child: string, data: string): void {
  void services.state.update(dataKey(child), data);
}

function dataKey(child: string): string {
  return `subclone.convergence.data:${child}`;
}
