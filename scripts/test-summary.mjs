// Prints the last jest run's totals as one plain line ("<label>: N passed, N failed, N skipped").
import * as fs from 'node:fs';

const label = process.argv[2] ?? 'tests';
const r = JSON.parse(fs.readFileSync('node_modules/.jest-results.json', 'utf8'));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
if (r.numFailedTests > 0 || r.numFailedTestSuites > 0 || skipped > 0) process.exit(1);
