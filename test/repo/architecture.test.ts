import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';

function sourceFiles(dir: string): string[] {
  const abs = path.join(repoRoot, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => path.join(abs, f));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]);
}

function layerOf(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return path.relative(repoRoot, path.resolve(path.dirname(file), spec));
}

describe('architecture boundaries', () => {
  it('the core library never imports vscode, the extension, the CLI or the webviews', () => {
    const bad: string[] = [];
    for (const file of sourceFiles('src/core')) {
      for (const spec of imports(file)) {
        const target = layerOf(file, spec);
        if (target === 'vscode' || /^(src\/(extension|cli|worker)|webview)\b/.test(target)) bad.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('inside the core every import points down: a folder uses only the folders below it (and never src/protocol)', () => {
    // Lowest first; folders on one row do not import each other.
    const layers = [['(root)'], ['fs', 'random', 'spawn'], ['onnx'], ['graph', 'runtime', 'safetensors'], ['autodiff', 'coupling', 'checkpoint'], ['recognize', 'data'], ['eval', 'importance', 'train', 'hf'], ['subclone'], ['converge']];
    const level = (folder: string) => layers.findIndex((row) => row.includes(folder));
    const folderOf = (rel: string) => (rel.includes('/') ? rel.split('/')[0] : '(root)');
    const core = path.join(repoRoot, 'src', 'core');
    const bad: string[] = [];
    for (const file of sourceFiles('src/core')) {
      const from = folderOf(path.relative(core, file));
      if (level(from) < 0) bad.push(`${path.relative(repoRoot, file)}: src/core/${from} has no place in the layers (add it to this test)`);
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.relative(core, path.resolve(path.dirname(file), spec));
        if (target.startsWith('..')) {
          bad.push(`${path.relative(repoRoot, file)} imports ${spec}, outside the core`);
          continue;
        }
        const to = folderOf(target);
        if (to !== from && !(level(to) < level(from))) bad.push(`${path.relative(repoRoot, file)} (${from}) imports ${spec} (${to}), which is not below it`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('webviews import only the shared protocol and their own files', () => {
    const bad: string[] = [];
    for (const file of sourceFiles('webview')) {
      for (const spec of imports(file)) {
        const target = layerOf(file, spec);
        const ok = target.startsWith('webview/') || target.startsWith('src/protocol/') || (!spec.startsWith('.') && spec !== 'vscode' && !spec.startsWith('node:'));
        if (!ok) bad.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('the protocol folder holds types and pure helpers only', () => {
    const bad: string[] = [];
    for (const file of sourceFiles('src/protocol')) {
      for (const spec of imports(file)) {
        if (spec === 'vscode' || spec.startsWith('node:') || spec === 'onnxruntime-node') bad.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });
});
