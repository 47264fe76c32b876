// The integration suite that runs INSIDE a real VS Code extension host (code-server here, or
// @vscode/test-electron elsewhere). It exports run(), as the VS Code test runners expect. An
// untrusted workspace (Restricted Mode) gets the suite written for it.
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { registerTests } from './extension.tests';
import { registerWalkthroughTests } from './walkthrough.tests';
import { registerUntrustedTests } from './untrusted.tests';
import { registerRunTests } from './run.tests';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, path.join(__dirname, 'extension.tests.js'), mocha);
  if (vscode.workspace.isTrusted) {
    // The walkthrough first: it closes its editors, and the other suite ends on the graph the harness inspects.
    registerWalkthroughTests();
    // Runs the examples (Run and Watch); its last run is of the good example.
    registerRunTests();
    registerTests();
  } else {
    registerUntrustedTests();
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} tests failed`)) : resolve()));
  });
}
