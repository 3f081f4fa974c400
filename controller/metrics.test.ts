import { describe, expect, it } from 'vitest';
import { controllerMetrics, RECONCILE_RESULTS } from './metrics.js';

describe("the controller's metrics", () => {
  it('report every reconcile result at 0 before the first reconcile, so rates see the first ones', () => {
    const text = controllerMetrics().registry.render();
    for (const result of RECONCILE_RESULTS)
      expect(text).toContain(`\nthurkube_controller_reconcile_total{result="${result}"} 0\n`);
  });
});
