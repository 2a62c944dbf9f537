// Runs the extension-host suite (dist/test/index.js) inside code-server, the CI path: the web workbench takes
// extensionDevelopmentPath and extensionTestsPath in its `payload` URL parameter and calls
// window.codeAutomationExit(code) when the run ends. Prints the suite's spec output; exits with its code.
// Usage: node --import tsx test/extension/runInCodeServer.ts   (after `node esbuild.config.mjs`)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESULTS_DIR, launchBrowser, prepareDirs, requireTools, startCodeServer, tail } from '../helpers/codeServer';
import { repoRoot } from '../helpers/paths';

const TIMEOUT_MS = Number(process.env.SUBCLONE_VSCODE_TIMEOUT_MS ?? 15 * 60_000);

async function main(): Promise<number> {
  requireTools();
  const suite = path.join(repoRoot, 'dist', 'test', 'index.js');
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: run \`node esbuild.config.mjs\` first`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'subclone-vscode-'));
  const dirs = prepareDirs(root);
  const testLog = path.join(root, 'mocha.log');
  const server = await startCodeServer(dirs, { SUBCLONE_TEST_LOG: testLog, ...(process.env.SUBCLONE_TEST_GREP ? { SUBCLONE_TEST_GREP: process.env.SUBCLONE_TEST_GREP } : {}) });
  const browser = await launchBrowser(path.join(root, 'chromium'));
  let printed = 0;
  const printNew = () => {
    if (!fs.existsSync(testLog)) return;
    const text = fs.readFileSync(testLog, 'utf8');
    process.stdout.write(text.slice(printed));
    printed = text.length;
  };
  const follow = setInterval(printNew, 500);
  try {
    const page = await browser.newPage();
    const exitCode = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
    const remote = `vscode-remote://127.0.0.1:${server.port}`;
    const payload = [
      ['extensionDevelopmentPath', `${remote}${repoRoot}`],
      ['extensionTestsPath', `${remote}${suite}`],
    ];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), TIMEOUT_MS));
    const code = await Promise.race([exitCode, timeout]);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'vscode-suite-end.png') }).catch(() => undefined);
    printNew();
    if (code === -1) {
      console.error(`the extension-host suite did not finish within ${TIMEOUT_MS / 1000} s; code-server log:\n${tail(server.logFile)}`);
      return 1;
    }
    if (printed === 0) console.error(`the suite wrote no output; code-server log:\n${tail(server.logFile)}`);
    return code;
  } finally {
    clearInterval(follow);
    await browser.close().catch(() => undefined);
    await server.stop();
    if (!process.env.SUBCLONE_KEEP_TEST_DIRS) fs.rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
