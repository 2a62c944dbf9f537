import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const exampleDir = path.join(repoRoot, 'examples', 'kjv-gpt2');
export const exampleModel = path.join(exampleDir, 'model.onnx');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');

/**
 * The shared fixtures folder (../shared/fixtures beside the checkout, or $SUBCLONE_SHARED_FIXTURES), or undefined
 * when this checkout has none. Tests that need it skip with a visible message; the repo's own fixtures cover the
 * same families.
 */
export function sharedFixtures(): string | undefined {
  const candidates = [process.env.SUBCLONE_SHARED_FIXTURES, path.join(repoRoot, '..', 'shared', 'fixtures')];
  return candidates.find((c): c is string => !!c && fs.existsSync(path.join(c, 'exports')));
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'subclone-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Fixture model folders under test/fixtures/models that have a truth.json. */
export function fixtureIds(): string[] {
  const root = path.join(fixturesDir, 'models');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((id) => fs.existsSync(path.join(root, id, 'truth.json')))
    .sort();
}

export function fixturePath(id: string, file = 'model.onnx'): string {
  return path.join(fixturesDir, 'models', id, file);
}

/** Copies the example model's files (not folders such as earlier subclones) into `dir`. */
export function copyExampleFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(exampleDir)) {
    const from = path.join(exampleDir, f);
    if (fs.statSync(from).isFile()) fs.copyFileSync(from, path.join(dir, f));
  }
}
