import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { subclonesOfReport } from '../../../src/core/subclone/subcloneRuns';
import { tempDir } from '../../helpers/paths';

function writeProvenance(folder: string, report: string | null, createdAt: string, policy = 'loss'): void {
  fs.mkdirSync(folder, { recursive: true });
  const p = {
    version: 1,
    createdAt,
    shape: { layers: 2, dModel: 64, heads: 2, kvHeads: 2, ffn: 256 },
    parameters: 123,
    kept: { blocks: [0, 4], embedding: [], ffn: {}, heads: {}, kvGroups: {} },
    importance: { report },
    blockSelection: { policy, method: 'exhaustive', metric: 'next-token cross-entropy (nats/token)', candidates: [{ blocks: [0, 4], loss: 2.5 }, { blocks: [0, 1], loss: 2.7 }] },
    verification: { metric: 'm', data: 'held-out', parent: 1.3, child: 2.6, randomInit: 5.5, batches: 1, count: 1 },
  };
  fs.writeFileSync(path.join(folder, 'subclone.json'), JSON.stringify(p));
}

describe('subclones made from a report', () => {
  it('finds the folders beside the report whose subclone.json names it, newest first, with their block searches', () => {
    const { dir, cleanup } = tempDir();
    try {
      const report = path.join(dir, 'model.importance.json');
      writeProvenance(path.join(dir, 'model-subclone-a'), report, '2026-01-01T00:00:00Z');
      writeProvenance(path.join(dir, 'model-subclone-b'), report, '2026-02-01T00:00:00Z', 'first');
      writeProvenance(path.join(dir, 'other'), path.join(dir, 'other.importance.json'), '2026-03-01T00:00:00Z');
      writeProvenance(path.join(dir, 'data-free'), null, '2026-03-01T00:00:00Z');
      fs.mkdirSync(path.join(dir, 'broken'));
      fs.writeFileSync(path.join(dir, 'broken', 'subclone.json'), '{ not json');
      const found = subclonesOfReport(report, path.join(dir, 'model.onnx'));
      assert.deepEqual(found.map((f) => path.basename(f.run.folder)), ['model-subclone-b', 'model-subclone-a']);
      assert.deepEqual(found[1].run.losses, { parent: 1.3, child: 2.6, randomInit: 5.5, metric: 'm' });
      assert.equal(found[0].search, null, 'a first-l subclone ran no search');
      assert.deepEqual(found[1].search?.chosen, [0, 4]);
      assert.deepEqual(found[1].search?.source, { kind: 'subclone', folder: path.join(dir, 'model-subclone-a') });
      assert.equal(found[1].search?.candidates.length, 2);
    } finally {
      cleanup();
    }
  });
});
