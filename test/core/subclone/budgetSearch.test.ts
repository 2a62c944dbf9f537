import * as assert from 'node:assert/strict';
import { budgetParameters, enumerateShapes, parseBudget, promisingShapes } from '../../../src/core/subclone/budgetSearch';
import { checkShape, countShapeParameters } from '../../../src/core/subclone/shape';
import { exampleWithReport, type ExampleReport } from '../../helpers/exampleReport';
import { tempDir } from '../../helpers/paths';

describe('fitting a parameter budget', function () {
  this.timeout(120_000);
  let ex: ExampleReport;
  let cleanup: () => void;
  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    ex = await exampleWithReport(t.dir);
  });
  after(() => cleanup());

  it('reads budgets as counts or percentages and refuses the rest', () => {
    assert.deepEqual(parseBudget('25%'), { percent: 25 });
    assert.deepEqual(parseBudget(' 12.5 % '), { percent: 12.5 });
    assert.deepEqual(parseBudget('700K'), { parameters: 700_000 });
    assert.deepEqual(parseBudget('1.2M'), { parameters: 1_200_000 });
    assert.deepEqual(parseBudget('3b'), { parameters: 3_000_000_000 });
    assert.deepEqual(parseBudget('700_000'), { parameters: 700_000 });
    for (const bad of ['', 'lots', '25 percent', '-5%', '1e6', '2MM']) assert.throws(() => parseBudget(bad), /a parameter budget is a count .* or a percentage/, bad);
    assert.equal(budgetParameters({ percent: 25 }, 2_000_000), 500_000);
    assert.throws(() => budgetParameters({ percent: 100 }, 2_000_000), /not smaller than the parent/);
    assert.throws(() => budgetParameters({ parameters: 0 }, 2_000_000), /at least 1/);
  });

  it('enumerates valid shapes within the budget, each with the widest FFN that fits', () => {
    const budget = Math.floor(ex.map.parameterCounts.total / 4);
    const { options, smallest } = enumerateShapes(ex.map, budget, ex.report);
    assert.ok(options.length >= 10, `${options.length} shapes`);
    assert.ok(smallest < budget);
    for (const o of options) {
      assert.ok(checkShape(ex.map, o.shape).ok, JSON.stringify(o.shape));
      assert.equal(o.parameters, countShapeParameters(ex.map, o.shape));
      assert.ok(o.parameters <= budget, `${JSON.stringify(o.shape)}: ${o.parameters} > ${budget}`);
      // The example ties d_model to 32 × heads; FFN widths are multiples of 8 (768 / 96).
      assert.equal(o.shape.dModel, 32 * o.shape.heads);
      assert.equal(o.shape.ffn % 8, 0);
      const wider = { ...o.shape, ffn: o.shape.ffn + 8 };
      assert.ok(o.shape.ffn === 768 || countShapeParameters(ex.map, wider) > budget, `${JSON.stringify(o.shape)} could have a wider FFN`);
      assert.ok(o.promise > 0 && o.promise <= 1);
    }
    const chosen = promisingShapes(options, 4);
    assert.equal(chosen.length, 4);
    assert.equal(new Set(chosen.map((c) => c.shape.layers)).size, 4, 'one shape per depth');
    for (let i = 1; i < chosen.length; i++) assert.ok(chosen[i - 1].promise >= chosen[i].promise);
  });
});
