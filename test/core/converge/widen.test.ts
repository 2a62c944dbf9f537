import * as assert from 'node:assert/strict';
import { widenedRuns } from '../../../src/core/converge/widen';
import type { RunKey } from '../../../src/core/converge/settings';

const sweep: RunKey[] = [
  { init: 'subclone', lr: 7.5e-4 },
  { init: 'subclone', lr: 1.5e-3 },
  { init: 'subclone', lr: 3e-3 },
  { init: 'random', lr: 3e-3 },
  { init: 'random', lr: 1e-2 },
];
const none = { subclone: 0, random: 0 };

describe('widening a sweep past an edge', () => {
  it('adds one run past each flagged edge, as far as the edge is from its neighbour', () => {
    assert.deepEqual(widenedRuns(sweep, { subclone: 'highest', random: null }, none, 2), [{ init: 'subclone', lr: 6e-3 }]);
    assert.deepEqual(widenedRuns(sweep, { subclone: 'lowest', random: 'highest' }, none, 2), [{ init: 'subclone', lr: 3.75e-4 }, { init: 'random', lr: 3.333e-2 }], '×2 below; ×10/3 above (the spacing the user chose)');
  });

  it('stops at the budget, adds nothing for an inside best, and never a run already planned', () => {
    assert.deepEqual(widenedRuns(sweep, { subclone: 'highest', random: null }, { subclone: 2, random: 0 }, 2), []);
    assert.deepEqual(widenedRuns(sweep, { subclone: null, random: null }, none, 2), []);
    assert.deepEqual(widenedRuns(sweep, { subclone: 'highest', random: null }, none, 0), [], 'widen 0: the sweeps as given');
    const planned: RunKey[] = [...sweep, { init: 'subclone', lr: 6e-3 }];
    assert.deepEqual(widenedRuns(planned, { subclone: 'highest', random: null }, none, 2), [{ init: 'subclone', lr: 1.2e-2 }], 'the highest planned is 6e-3 now');
  });
});

describe('widening a sweep: runs side by side', () => {
  it('one flagged init takes every slot of a round (×2 and ×4 at once); two flagged inits share them; the budget caps it', () => {
    assert.deepEqual(widenedRuns(sweep, { subclone: 'highest', random: null }, none, 2, 2), [{ init: 'subclone', lr: 6e-3 }, { init: 'subclone', lr: 1.2e-2 }]);
    assert.deepEqual(widenedRuns(sweep, { subclone: 'highest', random: 'lowest' }, none, 2, 2), [{ init: 'subclone', lr: 6e-3 }, { init: 'random', lr: 9e-4 }]);
    assert.deepEqual(widenedRuns(sweep, { subclone: 'highest', random: null }, { subclone: 1, random: 0 }, 2, 4), [{ init: 'subclone', lr: 6e-3 }], 'one left in the budget');
  });
});
