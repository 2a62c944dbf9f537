import * as vscode from 'vscode';
import type { ProviderPreference } from '../../core/runtime/executionProvider';

const PREFERENCES: readonly ProviderPreference[] = ['auto', 'cuda', 'cpu'];

/** The `subclone.executionProvider` setting; an unknown value reads as 'auto'. */
export function readProviderPreference(): ProviderPreference {
  const value = vscode.workspace.getConfiguration('subclone').get<string>('executionProvider', 'auto');
  return (PREFERENCES as readonly string[]).includes(value) ? (value as ProviderPreference) : 'auto';
}

/** Saves the setting in the user settings. */
export async function writeProviderPreference(value: ProviderPreference): Promise<void> {
  await vscode.workspace.getConfiguration('subclone').update('executionProvider', value, vscode.ConfigurationTarget.Global);
}
