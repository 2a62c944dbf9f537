import type * as vscode from 'vscode';
import type { ConvergencePanels } from '../convergence/convergencePanels';
import type { SweepOutcome } from '../convergence/convergencePanel';
import { parseConvergenceOptions } from '../convergence/convergenceSettings';
import { resolveModel } from '../modelTarget';
import type { Services } from '../services';
import { requireTrust } from '../trust';

const ACTION = 'Check Convergence';

/**
 * "Check Convergence…": opens the child model's convergence panel (Setup, Run, Verdict), with its saved results
 * when it has some. With `{ run: true }` in the options the sweep starts at once and the command resolves with
 * its outcome (for keybindings, tasks and tests); otherwise it resolves when the panel is open.
 */
export async function checkConvergenceCommand(services: Services, panels: ConvergencePanels, uriArg: unknown, optionsArg: unknown): Promise<SweepOutcome | undefined> {
  const options = parseConvergenceOptions(optionsArg, services.log);
  const model: vscode.Uri | undefined = await resolveModel(uriArg, ACTION);
  if (!model) return undefined;
  const panel = panels.show(model.fsPath, options);
  if (!options.run || !(await requireTrust(ACTION))) return undefined;
  return panel.runFromOptions();
}

/** "Cancel Convergence Check": stops the child's sweep; the runs that finished are kept with their verdict. */
export async function cancelConvergenceCommand(panels: ConvergencePanels, uriArg: unknown): Promise<SweepOutcome | undefined> {
  const model = await resolveModel(uriArg, 'Cancel Convergence Check');
  return model ? panels.get(model.fsPath)?.cancel() : undefined;
}
