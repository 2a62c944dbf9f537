/**
 * code-server (VS Code 1.100.3 served to a browser) and Debian's chromium driven by playwright-core: the real
 * VS Code the extension-host suite and the end-to-end test run in, offline. See .ci/install-code-server.sh and
 * ../shared/notes/vscode-e2e.md.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { copyExampleFiles, repoRoot } from './paths';

export const CODE_SERVER = path.join(repoRoot, '.ci', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.SUBCLONE_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS_DIR = path.join(repoRoot, 'test-results');

/** Fails with what to run when code-server or chromium is missing. */
export function requireTools(): void {
  if (!fs.existsSync(CODE_SERVER)) throw new Error(`code-server is not installed: run \`bash .ci/install-code-server.sh\` (expected ${CODE_SERVER})`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium is missing at ${CHROMIUM}: \`apt-get install chromium\` (or set SUBCLONE_CHROMIUM)`);
}

/** A code-server instance's folders: user data, extensions, workspace, logs. */
export interface CodeServerDirs {
  root: string;
  userData: string;
  extensions: string;
  workspace: string;
}

/**
 * Lays out a fresh instance under `root` with quiet settings (`settings` added over them) and a workspace holding
 * a copy of examples/kjv-gpt2.
 */
export function prepareDirs(root: string, extraSettings: Record<string, unknown> = {}): CodeServerDirs {
  const dirs = { root, userData: path.join(root, 'ud'), extensions: path.join(root, 'exts'), workspace: path.join(root, 'ws') };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.mkdirSync(dirs.extensions, { recursive: true });
  fs.mkdirSync(dirs.workspace, { recursive: true });
  fs.writeFileSync(path.join(root, 'config.yaml'), 'auth: none\ncert: false\n');
  const settings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'window.commandCenter': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    ...extraSettings,
  };
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const model = path.join(dirs.workspace, 'kjv-gpt2');
  fs.mkdirSync(model);
  copyExampleFiles(model);
  return dirs;
}

/** Installs a .vsix into the instance's extensions folder (code-server --install-extension). */
export async function installVsix(dirs: CodeServerDirs, vsix: string): Promise<string> {
  const { stdout } = await promisify(execFile)(CODE_SERVER, baseArgs(dirs).concat(['--install-extension', vsix]), { timeout: 120_000 });
  return stdout;
}

export interface RunningCodeServer {
  port: number;
  url: string;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts code-server on a free loopback port and waits until /healthz answers. Workspace trust is off unless
 * `workspaceTrust` (then the workbench asks whether to trust the folder, as VS Code does).
 */
export async function startCodeServer(dirs: CodeServerDirs, env: Record<string, string> = {}, workspaceTrust = false): Promise<RunningCodeServer> {
  const port = await freePort();
  const logFile = path.join(dirs.root, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [...baseArgs(dirs), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', dirs.workspace];
  const child = spawn(CODE_SERVER, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env, PORT: String(port) }, detached: true });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, 'SIGTERM'); // its process group: code-server and its extension hosts
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${logFile}:\n${tail(logFile)}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s; see ${logFile}:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, url, process: child, logFile, stop };
}

/** Headless Debian chromium with the flags this offline machine needs. */
export function launchBrowser(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function baseArgs(dirs: CodeServerDirs): string[] {
  return ['--config', path.join(dirs.root, 'config.yaml'), '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
