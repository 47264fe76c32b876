// The settings and commands the extension contributes (package.json) match what the server and
// the client read: grouped, each documented, each enum value described, every rule configurable,
// every command the server's code actions and lenses invoke contributed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { COMMANDS } from '../../common/protocol';
import { RULES } from '../../server/src/analysis/rule-registry';
import { parseSettings } from '../../server/src/lsp/server';
import { ROOT } from '../helpers/paths';

interface Setting { type?: string; enum?: string[]; enumDescriptions?: string[]; markdownDescription?: string; default?: unknown; properties?: Record<string, Setting> }
interface Manifest {
  contributes: {
    configuration: { id: string; title: string; properties: Record<string, Setting> }[];
    commands: { command: string; title: string }[];
    keybindings: { command: string; when?: string }[];
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const groups = manifest.contributes.configuration;
const settings = Object.assign({}, ...groups.map((g) => g.properties)) as Record<string, Setting>;

it('groups the settings, and documents each one and each of its values', () => {
  assert.ok(Array.isArray(groups) && groups.length >= 3, 'settings come in titled groups');
  for (const g of groups) assert.match(g.title, /^Process Topology: /);
  const check = (name: string, s: Setting): void => {
    assert.ok((s.markdownDescription ?? '').length > 20, `${name} is documented`);
    if (s.enum) assert.equal(s.enumDescriptions?.length, s.enum.length, `${name}: every value is described`);
  };
  for (const [name, s] of Object.entries(settings)) {
    check(name, s);
    for (const [sub, p] of Object.entries(s.properties ?? {})) check(`${name}.${sub}`, p);
  }
});

it('offers a severity setting for every rule, and the values the server reads', () => {
  const rules = settings['processTopology.rules']!.properties ?? {};
  const ids = [...RULES.values()].filter((r) => r.run).map((r) => r.id);
  assert.ok(ids.length >= 25);
  for (const id of ids) assert.ok(rules[id], `processTopology.rules.${id}`);
  // Each value the manifest allows is one parseSettings keeps.
  for (const [id, s] of Object.entries(rules)) {
    for (const value of s.enum ?? []) assert.equal(parseSettings({ rules: { [id]: value } }).rules.get(id), value);
  }
  const scope = settings['processTopology.diagnostics.scope']!;
  assert.deepEqual(scope.enum, ['openFiles', 'workspace']);
  for (const value of scope.enum) assert.equal(parseSettings({ diagnostics: { scope: value } }).diagnosticsScope, value);
  assert.equal(parseSettings({}).diagnosticsScope, scope.default);
});

it('contributes every command the server and the client invoke, with keys for stepping through a trace', () => {
  const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
  for (const command of Object.values(COMMANDS)) assert.ok(contributed.has(command), command);
  const keys = new Map(manifest.contributes.keybindings.map((k) => [k.command, k.when]));
  for (const command of [COMMANDS.traceNext, COMMANDS.tracePrevious, COMMANDS.traceStop]) {
    assert.match(keys.get(command) ?? '', /processTopology\.tracing/, `${command} has a key while a trace is shown`);
  }
});
