// The extension-host test entry (bundled to dist/test/index.js, loaded by VS Code as `extensionTestsPath`).
// Runs the suites with mocha's spec reporter; every line also goes to $SUBCLONE_TEST_LOG when set, because in
// code-server the extension host's console reaches nobody in readable form. Rejects when a test fails, which
// VS Code turns into a non-zero exit code.
import * as fs from 'node:fs';
import { format } from 'node:util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const log = process.env.SUBCLONE_TEST_LOG;
  const write = (line: string) => {
    console.log(line);
    if (log) fs.appendFileSync(log, `${line}\n`);
  };
  // eslint-disable-next-line no-control-regex
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => write(format(...args).replace(/\x1b\[[0-9;]*m/g, ''));
  Mocha.reporters.Base.useColors = false;
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 180_000, color: false });
  if (process.env.SUBCLONE_TEST_GREP) mocha.grep(process.env.SUBCLONE_TEST_GREP);
  // The suites are part of this bundle: define mocha's globals, then evaluate them (lazily, in order).
  mocha.suite.emit('pre-require', globalThis, 'dist/test/index.js', mocha);
  await import('./activation.test');
  await import('./overview.test');
  await import('./subclone.test');
  await import('./hfCheckpoint.test');
  await import('./importancePanel.test');
  await import('./convergencePanel.test');
  await import('./responsiveness.test');
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
