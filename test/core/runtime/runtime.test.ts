import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openSession } from '../../../src/core/runtime/ortSession';
import { cudaProviderInstalled } from '../../../src/core/runtime/executionProvider';
import { WorkerClient } from '../../../src/worker/workerClient';
import { SubcloneError } from '../../../src/core/errors';
import { ensureBuilt } from '../../helpers/cli';
import { exampleModel, repoRoot } from '../../helpers/paths';

describe('execution provider choice', () => {
  it('auto falls back to the CPU with a notice that says why and how to get CUDA', async function () {
    if (cudaProviderInstalled()) this.skip(); // a machine with the CUDA provider takes the other branch
    const notices: string[] = [];
    const s = await openSession(exampleModel, { provider: 'auto', onNotice: (m) => notices.push(m) });
    assert.equal(s.provider, 'cpu');
    assert.match(s.notice!, /Running on CPU: .*CUDA provider library is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.deepEqual(notices, [s.notice]);
    await s.session.release();
  });

  it('cuda without the provider is an error naming the fix', async function () {
    if (cudaProviderInstalled()) this.skip();
    await assert.rejects(openSession(exampleModel, { provider: 'cuda' }), (e: unknown) => e instanceof SubcloneError && e.code === 'Runtime' && /CUDA was requested/.test(e.message));
  });

  it('cpu runs without a notice', async () => {
    const s = await openSession(exampleModel, { provider: 'cpu' });
    assert.equal(s.provider, 'cpu');
    assert.equal(s.notice, undefined);
    await s.session.release();
  });
});

describe('model worker', () => {
  const workerScript = path.join(repoRoot, 'dist', 'worker.js');
  before(() => ensureBuilt());

  it('summarizes a model in a worker thread', async () => {
    const client = new WorkerClient(workerScript);
    try {
      const summary = await client.call('summarize', { file: exampleModel });
      assert.equal(summary.inputs[0].name, 'input_ids');
      assert.equal(summary.nodes, 999);
    } finally {
      await client.dispose();
    }
  });

  it('passes core errors back with their code', async () => {
    const client = new WorkerClient(workerScript);
    try {
      await assert.rejects(client.call('summarize', { file: path.join(repoRoot, 'package.json') }), (e: unknown) => e instanceof SubcloneError && e.code === 'BadModel' && /text file/.test(e.message));
    } finally {
      await client.dispose();
    }
  });

  it('a call cancelled before it starts rejects with Cancelled', async () => {
    const client = new WorkerClient(workerScript);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.call('summarize', { file: exampleModel }, { signal: controller.signal }), (e: unknown) => e instanceof SubcloneError && e.code === 'Cancelled');
    await client.dispose();
  });
});
