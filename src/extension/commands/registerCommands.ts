import * as vscode from 'vscode';
import { errorMessage, isSubcloneError } from '../../core/errors';
import type { ReportedError } from '../api';
import type { ConvergencePanels } from '../convergence/convergencePanels';
import type { ProviderStatus } from '../providerStatus';
import { reportError } from '../reportError';
import type { Services } from '../services';
import { cancelConvergenceCommand, checkConvergenceCommand } from './checkConvergenceCommand';
import { importanceCommand } from './importanceCommand';
import { overviewCommand } from './overviewCommand';
import { selectProviderCommand } from './selectProviderCommand';
import { showImportanceCommand } from './showImportanceCommand';
import { subcloneCommand } from './subcloneCommand';

/**
 * Registers the commands. Each reports its own errors (notification + output channel) and resolves with
 * its result, or undefined when it failed or the user stopped. Returns the list of reported errors.
 */
export function registerCommands(context: vscode.ExtensionContext, services: Services, status: ProviderStatus, convergence: ConvergencePanels): readonly ReportedError[] {
  const reported: ReportedError[] = [];
  const command = <T>(id: string, action: string, run: (...args: unknown[]) => Promise<T>) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (e) {
          if (!isSubcloneError(e, 'Cancelled')) reported.push({ action, code: isSubcloneError(e) ? e.code : 'Runtime', message: errorMessage(e) });
          reportError(services.log, action, e);
          return undefined;
        } finally {
          if (id !== 'subclone.selectExecutionProvider') void status.refresh();
        }
      }),
    );
  command('subclone.subclone', 'Subclone…', (uri, options) => subcloneCommand(services, uri, options));
  command('subclone.showOverview', 'Show Model Overview', (uri) => overviewCommand(uri));
  command('subclone.computeImportance', 'Compute Neuron Importance', (uri, options) => importanceCommand(services, uri, options));
  command('subclone.showImportance', 'Show Neuron Importance', (uri) => showImportanceCommand(uri));
  command('subclone.checkConvergence', 'Check Convergence', (uri, options) => checkConvergenceCommand(services, convergence, uri, options));
  command('subclone.cancelConvergence', 'Cancel Convergence Check', (uri) => cancelConvergenceCommand(convergence, uri));
  command('subclone.selectExecutionProvider', 'Select Execution Provider', (value) => selectProviderCommand(value));
  return reported;
}
