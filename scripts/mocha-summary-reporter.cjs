/**
 * Mocha's spec reporter, plus a JSON file with the run's counts so scripts/run-tests.mjs can sum
 * every suite. Use: --reporter scripts/mocha-summary-reporter.cjs --reporter-option summary=FILE
 * (without a summary option it behaves exactly like spec).
 */
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options = {}) {
    super(runner, options);
    const file = (options.reporterOption || options.reporterOptions || {}).summary;
    if (!file) return;
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      const summary = { passes: s.passes ?? 0, failures: s.failures ?? 0, pending: s.pending ?? 0, tests: s.tests ?? 0 };
      fs.writeFileSync(file, JSON.stringify(summary) + '\n');
    });
  }
}

module.exports = SummaryReporter;
