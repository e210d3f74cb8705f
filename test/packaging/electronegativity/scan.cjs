// Runs electronegativity's programmatic API over one directory and prints the findings as JSON lines on
// stdout (its own progress output goes to stderr). Usage: node --require ./resolve-own-typescript.cjs scan.cjs <dir>
const runner = require('@doyensec/electronegativity/dist/runner');
const run = runner.default ?? runner;

const input = process.argv[2];
run({
  input,
  electronVersionOverride: '45.4.1',
  isRelative: true,
  isVerbose: false,
  customScan: [],
  excludeFromScan: [],
})
  .then((result) => {
    const findings = result.issues.map((i) => ({
      id: i.id,
      file: i.file,
      line: i.location.line,
      severity: i.severity.name,
      confidence: i.confidence.name,
      manualReview: Boolean(i.manualReview),
    }));
    process.stdout.write(`${JSON.stringify({ findings, errors: result.errors })}\n`);
  })
  .catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
