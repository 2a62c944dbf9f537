import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SubcloneApi } from '../../src/extension/api';
import type { ApplyResult } from '../../src/extension/commands/subcloneCommand';
import { shapeItems } from '../../src/extension/subclone/pickShape';
import type { OverviewData } from '../../src/protocol/webviewProtocol';
import { fixturesDir } from '../helpers/paths';
import { activateExtension, closeAllEditors, EXTENSION_ID, nextOverviewMessage, outputDir, runReporting, workspaceDir } from './harness';

/**
 * Creates a folder one level at a time, pausing after each: the workspace's recursive watcher (parcel, inotify)
 * starts watching a new folder a moment after it appears, and never watches one created inside it before that, so
 * files changed there later would go unreported. (The extension copes with such folders by searching new folders;
 * the test needs later changes inside them to be reported.)
 */
async function mkdirWatched(dir: string): Promise<void> {
  if (fs.existsSync(dir)) return;
  await mkdirWatched(path.dirname(dir));
  fs.mkdirSync(dir);
  await new Promise((r) => setTimeout(r, 400));
}

/** Copies test/fixtures/hf/<id> (config.json and its weights, not the reference outputs) into the test workspace. */
async function copyHfFixture(id: string, parent: string): Promise<string> {
  const from = path.join(fixturesDir, 'hf', id);
  assert.ok(fs.existsSync(from), `${from} is missing (scripts/fixtures/make_hf_fixtures.py)`);
  const to = path.join(parent, id);
  await mkdirWatched(to);
  for (const f of fs.readdirSync(from)) if (f === 'config.json' || /\.safetensors(\.index\.json)?$/.test(f) || f.endsWith('_config.json')) fs.copyFileSync(path.join(from, f), path.join(to, f));
  return to;
}

/** Waits until the extension's list of checkpoint folders satisfies `ok` (the watchers see files a moment later). */
async function waitForHfFolders(api: SubcloneApi, ok: (folders: readonly string[]) => boolean, what: string, timeoutMs = 30_000): Promise<readonly string[]> {
  await api.hfFoldersReady;
  const end = Date.now() + timeoutMs;
  while (!ok(api.hfFolders())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; the context key lists: ${api.hfFolders().join(', ') || 'nothing'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return api.hfFolders();
}

/**
 * A small evaluator for the `when` clauses the explorer menu uses (!, &&, ||, parentheses, ==, in): enough to
 * check what the explorer shows on a resource, given the context keys VS Code sets for it.
 */
function evaluateWhen(expr: string, context: Record<string, unknown>): boolean {
  const tokens = expr.match(/\(|\)|&&|\|\||!(?!=)|==|!=|[^\s()!&|=]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const value = (token: string): unknown => (token in context ? context[token] : token === 'true' ? true : token === 'false' ? false : undefined);
  const primary = (): boolean => {
    const t = next();
    if (t === '!') return !primary();
    if (t === '(') {
      const v = or();
      assert.equal(next(), ')', `unbalanced parentheses in ${expr}`);
      return v;
    }
    const op = peek();
    if (op === '==' || op === '!=') {
      next();
      const right = next();
      const equal = String(value(t) ?? '') === right;
      return op === '==' ? equal : !equal;
    }
    if (op === 'in') {
      next();
      const list = value(next());
      const left = value(t);
      return Array.isArray(list) ? list.includes(left) : typeof list === 'object' && list !== null && typeof left === 'string' && left in list;
    }
    return !!value(t);
  };
  const and = (): boolean => {
    let v = primary();
    while (peek() === '&&') {
      next();
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === '||') {
      next();
      v = and() || v;
    }
    return v;
  };
  const result = or();
  assert.equal(i, tokens.length, `could not read all of ${expr}`);
  return result;
}

/** The context keys the explorer sets for a resource (resourceExtname, resourceFilename, resourcePath, explorerResourceIsFolder). */
function explorerContext(file: string, hfFolders: readonly string[]): Record<string, unknown> {
  const isFolder = fs.statSync(file).isDirectory();
  return { resourceExtname: isFolder ? '' : path.extname(file), resourceFilename: path.basename(file), resourcePath: file, explorerResourceIsFolder: isFolder, 'subclone.hfFolders': hfFolders };
}

const MENU_COMMANDS = ['subclone.subclone', 'subclone.showOverview', 'subclone.showImportance', 'subclone.computeImportance', 'subclone.checkConvergence'];

describe('Hugging Face checkpoints (config.json + safetensors) in the extension', () => {
  let root: string;
  let llama: string;
  let qwen: string;
  let gpt2: string;

  before(async () => {
    root = outputDir('hf');
    llama = await copyHfFixture('llama', root);
    qwen = await copyHfFixture('qwen2-sharded', root);
    gpt2 = await copyHfFixture('gpt2-hub', root);
  });
  afterEach(closeAllEditors);

  it('lists HF folders in the context key subclone.hfFolders, and no other folder; the explorer menu shows the Subclone items on them, on .safetensors files and the index', async () => {
    const api = await activateExtension();
    const plain = path.join(root, 'plain');
    await mkdirWatched(plain);
    fs.writeFileSync(path.join(plain, 'config.json'), '{}\n'); // config.json alone is not a checkpoint
    const weightsOnly = path.join(root, 'weights-only');
    await mkdirWatched(weightsOnly);
    fs.copyFileSync(path.join(llama, 'model.safetensors'), path.join(weightsOnly, 'model.safetensors')); // nor are weights without config.json
    const folders = await waitForHfFolders(api, (f) => [llama, qwen, gpt2].every((d) => f.includes(d)), 'the copied checkpoints');
    assert.ok(!folders.includes(plain) && !folders.includes(weightsOnly) && !folders.includes(root), `listed: ${folders.join(', ')}`);
    assert.ok(!folders.includes(path.join(workspaceDir(), 'kjv-gpt2')), 'an ONNX model\'s folder (config.json + model.onnx) is no HF checkpoint');

    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
    const menu = pkg.contributes.menus['explorer/context'];
    for (const command of MENU_COMMANDS) {
      const when = menu.find((m) => m.command === command)?.when;
      assert.ok(when, `${command} has no explorer/context entry`);
      const shows = (file: string) => evaluateWhen(when, explorerContext(file, folders));
      assert.ok(shows(llama), `${command} is not offered on an HF folder (${when})`);
      assert.ok(shows(qwen), `${command} is not offered on a sharded HF folder`);
      assert.ok(shows(path.join(llama, 'model.safetensors')), `${command} is not offered on model.safetensors`);
      assert.ok(shows(path.join(qwen, 'model.safetensors.index.json')), `${command} is not offered on model.safetensors.index.json`);
      assert.ok(shows(path.join(workspaceDir(), 'kjv-gpt2', 'model.onnx')), `${command} is not offered on model.onnx any more`);
      for (const no of [plain, weightsOnly, root, path.join(workspaceDir(), 'kjv-gpt2'), path.join(llama, 'config.json')]) assert.ok(!shows(no), `${command} is offered on ${no}`);
    }

    // Kept current: a folder that loses its config.json leaves the list, and comes back with it.
    const config = path.join(gpt2, 'config.json');
    const saved = fs.readFileSync(config);
    fs.rmSync(config);
    await waitForHfFolders(api, (f) => !f.includes(gpt2), 'gpt2-hub to leave the list without its config.json');
    fs.writeFileSync(config, saved);
    await waitForHfFolders(api, (f) => f.includes(gpt2), 'gpt2-hub to come back with its config.json');
    fs.copyFileSync(path.join(llama, 'config.json'), path.join(weightsOnly, 'config.json'));
    await waitForHfFolders(api, (f) => f.includes(weightsOnly), 'a folder that gains config.json beside model.safetensors');
  });

  async function overviewOf(open: () => Thenable<unknown>, posted: vscode.Uri): Promise<OverviewData> {
    const api = await activateExtension();
    const message = nextOverviewMessage(api, posted);
    await open();
    const m = await message;
    assert.equal(m.type, 'model', m.type === 'loadError' ? `overview failed: [${m.code}] ${m.message}` : '');
    return (m as { data: OverviewData }).data;
  }

  it('Show Model Overview on an HF folder opens its model.safetensors in the overview: a Hugging Face checkpoint, its class, config.json, weights and dtype, recognised as LLaMA', async () => {
    const weights = vscode.Uri.file(path.join(llama, 'model.safetensors'));
    const data = await overviewOf(() => vscode.commands.executeCommand('subclone.showOverview', vscode.Uri.file(llama)), weights);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.viewType === 'subclone.modelOverview', 'the active tab is not the model overview');
    assert.equal(tab.input.uri.fsPath, weights.fsPath);
    assert.equal(data.format, 'safetensors');
    assert.match(data.description, /^LlamaForCausalLM built by Subclone from llama\/config\.json and model\.safetensors/);
    assert.ok(data.checkpoint, 'no checkpoint section for an HF checkpoint');
    assert.deepEqual(
      { ...data.checkpoint, weights: data.checkpoint.weights.map((w) => w.name) },
      { folder: 'llama', architecture: 'LlamaForCausalLM', modelType: 'llama', config: vscode.workspace.asRelativePath(path.join(llama, 'config.json')), weights: ['model.safetensors'], index: null, configDtype: 'float32', unused: [] },
    );
    assert.equal(data.fileBytes, fs.statSync(weights.fsPath).size);
    assert.deepEqual(Object.keys(data.weightBytes), ['float32']);
    assert.deepEqual(data.inputs.map((i) => i.name), ['input_ids', 'attention_mask']);
    const r = data.recognition;
    assert.equal(r.status, 'recognized', r.status !== 'recognized' ? r.reason : '');
    if (r.status === 'recognized') assert.deepEqual([r.family, r.dims.layers, r.dims.dModel, r.dims.heads, r.dims.kvHeads, r.dims.ffn], ['llama', 2, 32, 4, 2, 64]);
    assert.equal(data.actionsEnabled, true, data.actionsDisabledReason ?? '');
  });

  it('opens a .safetensors file in the overview by default; a shard shows the whole sharded checkpoint through its index', async () => {
    const shard = vscode.Uri.file(path.join(qwen, 'model-00002-of-00003.safetensors'));
    const data = await overviewOf(() => vscode.commands.executeCommand('vscode.open', shard), shard);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.viewType === 'subclone.modelOverview', 'a .safetensors file does not open in the model overview');
    assert.equal(data.checkpoint?.architecture, 'Qwen2ForCausalLM');
    assert.equal(data.checkpoint?.index, 'model.safetensors.index.json');
    assert.deepEqual(data.checkpoint?.weights.map((w) => w.name), ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    assert.equal(data.fileBytes, data.checkpoint?.weights.reduce((a, w) => a + (w.bytes ?? 0), 0));
    assert.equal(data.recognition.status, 'recognized');

    // Show Model Overview on the index opens the overview too (the selector is *.safetensors; openWith takes any file).
    const index = vscode.Uri.file(path.join(qwen, 'model.safetensors.index.json'));
    const viaIndex = await overviewOf(() => vscode.commands.executeCommand('subclone.showOverview', index), index);
    assert.equal(viaIndex.checkpoint?.weights.length, 3);
  });

  it('names the tensors the class leaves unused (a BERT MLM checkpoint with a pooler and an NSP head)', async () => {
    const mlm = await copyHfFixture('bert-mlm', root);
    const weights = vscode.Uri.file(path.join(mlm, 'model.safetensors'));
    const data = await overviewOf(() => vscode.commands.executeCommand('subclone.showOverview', vscode.Uri.file(mlm)), weights);
    assert.equal(data.checkpoint?.architecture, 'BertForMaskedLM');
    assert.deepEqual(data.checkpoint?.unused, ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
  });

  it('Subclone… on an HF folder (half depth, data-free) writes <folder>/model-subclone-…/ with model.onnx and a Hugging Face checkpoint [waits on inspect, shapePresets, apply]', async () => {
    const api = await activateExtension();
    const result = await runReporting<ApplyResult>(api, 'subclone.subclone', vscode.Uri.file(llama), { shape: 'half-depth', data: null, overwrite: true });
    assert.equal(result.outDir, path.join(llama, 'model-subclone-1L-32d-4h-2kv-64f'));
    for (const f of ['model.onnx', 'model.safetensors', 'config.json', 'subclone.json']) assert.ok(fs.existsSync(path.join(result.outDir, f)), `${f} was not written`);
    assert.equal(result.modelFile, path.join(result.outDir, 'model.onnx'));
    assert.deepEqual(result.written, { onnx: true, hf: { modelType: 'llama', file: path.join(result.outDir, 'model.safetensors') }, hfNotWritten: null });
    const config = JSON.parse(fs.readFileSync(path.join(result.outDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.num_hidden_layers, 1);
    // The child is a checkpoint folder in its turn: the extension lists it and reads it.
    await waitForHfFolders(api, (f) => f.includes(result.outDir), 'the subclone folder to be listed');
    const child = await api.worker.call('inspect', { file: result.outDir });
    assert.equal(child.summary.format, 'safetensors');
    assert.equal(child.map?.dims.layers, 1);
  });

  it('with subclone.outputFormat hf, writes the Hugging Face checkpoint only, and refuses a shape its config cannot state with the reason [waits on apply]', async () => {
    const api = await activateExtension();
    const settings = vscode.workspace.getConfiguration('subclone');
    await settings.update('outputFormat', 'hf', vscode.ConfigurationTarget.Global);
    try {
      const outDir = outputDir('hf-only');
      const result = await runReporting<ApplyResult>(api, 'subclone.subclone', vscode.Uri.file(llama), { shape: 'half-width', data: null, outDir, overwrite: true });
      assert.equal(result.modelFile, path.join(outDir, 'model.safetensors'));
      assert.ok(!fs.existsSync(path.join(outDir, 'model.onnx')), 'model.onnx was written with outputFormat hf');
      assert.deepEqual(result.written, { onnx: false, hf: { modelType: 'llama', file: path.join(outDir, 'model.safetensors') }, hfNotWritten: null });

      const refusedDir = outputDir('hf-refused');
      const before = api.reportedErrors.length;
      assert.equal(await vscode.commands.executeCommand('subclone.subclone', vscode.Uri.file(gpt2), { shape: 'quarter-params', data: null, outDir: refusedDir }), undefined);
      const reported = api.reportedErrors.slice(before);
      assert.equal(reported.length, 1, JSON.stringify(reported));
      assert.match(reported[0].message, /Hugging Face gpt2 config makes the head width/);
      assert.ok(!fs.existsSync(refusedDir), 'a refused shape left a folder behind');
    } finally {
      await settings.update('outputFormat', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('marks a preset the family\'s Hugging Face config cannot state as ONNX only, with the engine\'s reason [waits on shapePresets, hfPlan]', async () => {
    const api = await activateExtension();
    const file = path.join(gpt2, 'model.safetensors');
    const presets = await api.worker.call('shapePresets', { file });
    const plan = await api.worker.call('hfPlan', { file, shapes: presets.map((p) => p.shape) });
    assert.equal(plan.model, null);
    const byId = Object.fromEntries(presets.map((p, i) => [p.id, plan.shapes[i]]));
    assert.deepEqual(Object.keys(byId).sort(), ['half-both', 'half-depth', 'half-width', 'quarter-params']);
    assert.equal(byId['half-depth'], null);
    assert.equal(byId['half-width'], null);
    assert.match(byId['quarter-params'] ?? '', /a Hugging Face gpt2 config makes the head width hidden size \/ heads/);

    const parent = { shape: { layers: 2, dModel: 32, heads: 4, kvHeads: 4, ffn: 128 }, parameters: 30_000 };
    const items = shapeItems(parent, presets, { refuse: false, presets: plan.shapes });
    const quarter = items.find((i) => i.preset?.id === 'quarter-params');
    assert.match(quarter?.description ?? '', /ONNX only$/);
    assert.match(quarter?.detail ?? '', /^[\d.]+ K parameters \(\d+% of the parent\) · \$\(warning\) ONNX only: a Hugging Face gpt2 config makes the head width/);
    const halfDepth = items.find((i) => i.preset?.id === 'half-depth');
    assert.doesNotMatch(`${halfDepth?.description} ${halfDepth?.detail}`, /ONNX only/);
    const refusing = shapeItems(parent, presets, { refuse: true, presets: plan.shapes }).find((i) => i.preset?.id === 'quarter-params');
    assert.match(refusing?.detail ?? '', /not with subclone\.outputFormat hf: a Hugging Face gpt2 config/);

    // A custom shape is checked the same way: 4 heads of 8 cannot fill d_model 16 in a GPT-2 config.
    const custom = await api.worker.call('hfPlan', { file, shapes: [{ layers: 1, dModel: 16, heads: 4, kvHeads: 4, ffn: 64 }, { layers: 1, dModel: 16, heads: 2, kvHeads: 2, ffn: 64 }] });
    assert.match(custom.shapes[0] ?? '', /--heads 2 keeps the head width 8/);
    assert.equal(custom.shapes[1], null);

    // An ONNX parent with a GPT-2 config.json beside it: every preset can be written as a checkpoint too.
    const example = path.join(workspaceDir(), 'kjv-gpt2', 'model.onnx');
    const examplePresets = await api.worker.call('shapePresets', { file: example });
    const examplePlan = await api.worker.call('hfPlan', { file: example, shapes: examplePresets.map((p) => p.shape) });
    assert.deepEqual(examplePlan, { model: null, shapes: examplePresets.map(() => null) });
  });
});
