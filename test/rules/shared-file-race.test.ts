// shared-file-race, both sides: reported (a warning) at the write of a file that processes running
// together read then write without one common lock (a constant path, a path made once and passed
// in args, or load/save helpers in another module); silent on the twins that hold a lock from the
// read to the write. Under the shim the racy programs lose updates (more seats sold, more tickets
// bought, fewer units taken off than picked) in some run, and the locked twins are always exact.
// The model has a `file` node for the path, with read and write edges.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { it } from 'node:test';
import { EXAMPLES } from '../helpers/paths';
import { describeRule, fixture, modelOf, type RuleCase } from '../helpers/rule-tester';

const ID = 'shared-file-race';
const count = (line: RegExp) => (stdout: string): number => stdout.split('\n').filter((l) => line.test(l)).length;
const TICKETS = path.join(EXAMPLES, 'ticket-office.ts');

const CASES: RuleCase[] = [
  { name: 'a constant path read and written by sellers made with Array.from', bad: 'bad-constant-path.ts', good: 'good-constant-path.ts',
    anchor: 'writeFileSync(DB, JSON.stringify({ seats: db', related: [{ at: 'readFileSync(DB' }], node: /^file:/,
    verdict: { races: count(/^sold a seat$/), exact: 2, runs: 3 } },
  { name: 'load/save helpers in another module', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts',
    anchor: ['bad-two-files/store.ts', 'fs.writeFileSync('], related: [{ at: ['bad-two-files/store.ts', 'fs.readFileSync('] }], node: /^file:/,
    verdict: { races: /units left (\d+)/, exact: 90, runs: 3 } },
  { name: 'the ticket office example: a temporary path passed in args, read through a helper', bad: TICKETS, good: path.join(EXAMPLES, 'ticket-office-locked.ts'),
    anchor: 'fs.writeFileSync(db, JSON', related: [{ at: 'fs.readFileSync(' }], node: /^file:/,
    verdict: { races: count(/bought a ticket$/), exact: 1, runs: 5 } },
  { name: 'the file replaced whole (written beside it, renamed into place) under a lock each process makes for itself', bad: 'bad-rename-into-place.ts', good: 'good-rename-into-place.ts',
    anchor: 'rename(beside, votesFile)', related: [{ at: 'readFile(votesFile' }], node: /^file:/,
    verdict: { races: /votes (\d+)/, exact: 24, runs: 3 } },
];

describeRule(ID, CASES, () => {
  it('the model has one file node per path, with read and write edges from the processes', () => {
    const model = modelOf(fixture(ID, 'bad-constant-path.ts'));
    const files = model.nodes.filter((n) => n.kind === 'file');
    assert.deepEqual(files.map((n) => n.label), ['bad-constant-path.seats.json']);
    const id = files[0]!.id;
    const edges = model.edges.filter((e) => e.from === id || e.to === id).map((e) => `${e.kind} ${e.from === id ? 'file->' + e.to.split('@')[0] : e.from.split('@')[0] + '->file'}`).sort();
    assert.deepEqual(edges, ['read file->proc:seller', 'write proc:main->file', 'write proc:seller->file']);
  });
});
