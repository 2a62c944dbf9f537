import * as vscode from 'vscode';
import { CUDA_INSTALL_HINT, cudaProviderInstalled, type ProviderPreference } from '../../core/runtime/executionProvider';
import { readProviderPreference, writeProviderPreference } from '../worker/providerSetting';

interface ProviderItem extends vscode.QuickPickItem {
  value: ProviderPreference;
}

/**
 * "Select Execution Provider": auto | cuda | cpu, saved in the user setting `subclone.executionProvider`.
 * Resolves with the choice, or undefined when dismissed. An argument ('auto' | 'cuda' | 'cpu') skips the picker.
 */
export async function selectProviderCommand(arg: unknown): Promise<ProviderPreference | undefined> {
  const current = readProviderPreference();
  let value: ProviderPreference | undefined;
  if (arg === 'auto' || arg === 'cuda' || arg === 'cpu') {
    value = arg;
  } else {
    const cuda = cudaProviderInstalled();
    const items: ProviderItem[] = [
      { value: 'auto', label: 'auto', description: 'CUDA when it loads, else the CPU (with a notice saying why)' },
      { value: 'cuda', label: 'cuda', description: cuda ? 'the CUDA provider is installed' : 'not installed here: runs would fail', detail: cuda ? undefined : CUDA_INSTALL_HINT },
      { value: 'cpu', label: 'cpu', description: 'always the CPU' },
    ];
    for (const item of items) if (item.value === current) item.label = `$(check) ${item.label}`;
    value = (await vscode.window.showQuickPick(items, { title: 'Subclone: execution provider', placeHolder: `Now: ${current}` }))?.value;
  }
  if (value && value !== current) await writeProviderPreference(value);
  return value;
}
