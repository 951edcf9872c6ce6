// The spec reporter, plus one plain closing line "N passed, N failed, N skipped" that CI reads.
import Mocha = require("mocha");

const { EVENT_RUN_END } = Mocha.Runner.constants;

class TarnReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const stats = runner.stats;
      if (!stats) return;
      // Printed after the spec summary (which is also written on EVENT_RUN_END, registered first).
      process.stdout.write(`\ntests: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped\n`);
    });
  }
}

export = TarnReporter;
