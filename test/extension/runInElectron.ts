// Runs the extension-host suite (dist/test/index.js) in a desktop VS Code downloaded by @vscode/test-electron,
// for machines that can reach the VS Code download site (CI uses runInCodeServer.ts instead: it is offline).
// Usage: npm run test:electron   (optionally VSCODE_VERSION=1.100.3; on Linux without a display, run it under
// xvfb-run). Exits non-zero when a test fails.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { copyExampleFiles, repoRoot } from '../helpers/paths';

async function main(): Promise<void> {
  const suite = path.join(repoRoot, 'dist', 'test', 'index.js');
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: run \`node esbuild.config.mjs\` first`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-electron-'));
  const workspace = path.join(root, 'ws');
  fs.mkdirSync(path.join(workspace, 'kjv-gpt2'), { recursive: true });
  copyExampleFiles(path.join(workspace, 'kjv-gpt2'));
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: suite,
      extensionTestsEnv: process.env.SUBCLONE_TEST_GREP ? { SUBCLONE_TEST_GREP: process.env.SUBCLONE_TEST_GREP } : {},
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', `--user-data-dir=${path.join(root, 'ud')}`],
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
