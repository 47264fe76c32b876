// `process-topology.json`: the analysis settings a project keeps with its code, read alike by the
// command line (in the folder it runs in) and the language server (in each workspace folder), so
// CI and the editor agree on what counts as the shim and how far the deadlock checker explores.
//   { "shimModules": ["@acme/workers"], "stateBudget": 50000 }
// Command-line options and editor settings given explicitly win over it (shimModules add up).
import * as path from 'node:path';
import ts from './typescript';
import { MAX_FILE_SIZE, readTextFile } from './files';

export const CONFIG_FILE = 'process-topology.json';
/** The deadlock checker's budget may not go below this (as the editor setting). */
export const MIN_STATE_BUDGET = 100;

export interface ProjectConfig {
  shimModules?: string[];
  stateBudget?: number;
}

export interface ConfigFileResult {
  /** What was valid in it. */
  config: ProjectConfig;
  /** What was wrong, one line each: `process-topology.json:3:5: …`. */
  errors: string[];
}

const KEYS = ['shimModules', 'stateBudget'];

/** Reads `process-topology.json` in `dir`: nothing there is an empty configuration. */
export function readConfigFile(dir: string): ConfigFileResult {
  const file = path.join(dir, CONFIG_FILE);
  const read = readTextFile(file, MAX_FILE_SIZE);
  if ('missing' in read) return { config: {}, errors: [] };
  if ('skipped' in read) return { config: {}, errors: [`${CONFIG_FILE} is not read: ${read.skipped}`] };
  return parseConfigFile(read.text);
}

export function parseConfigFile(text: string): ConfigFileResult {
  const sf = ts.parseJsonText(CONFIG_FILE, text);
  const syntax = (sf as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics?.[0];
  const at = (pos: number): string => {
    const { line, character } = sf.getLineAndCharacterOfPosition(pos);
    return `${CONFIG_FILE}:${line + 1}:${character + 1}`;
  };
  if (syntax) return { config: {}, errors: [`${at(syntax.start ?? 0)}: ${ts.flattenDiagnosticMessageText(syntax.messageText, ' ')}`] };
  const root = sf.statements[0]?.expression;
  if (!root || !ts.isObjectLiteralExpression(root)) return { config: {}, errors: [`${at(root?.getStart(sf) ?? 0)}: expected an object, as { "shimModules": ["…"], "stateBudget": 50000 }`] };
  const config: ProjectConfig = {};
  const errors: string[] = [];
  for (const prop of root.properties) {
    if (!ts.isPropertyAssignment(prop) || !(ts.isStringLiteral(prop.name) || ts.isIdentifier(prop.name))) continue;
    const key = prop.name.text;
    const value = prop.initializer;
    const where = at(value.getStart(sf));
    if (key === 'shimModules') {
      if (ts.isArrayLiteralExpression(value) && value.elements.every((e) => ts.isStringLiteral(e) && e.text.length > 0)) {
        config.shimModules = value.elements.map((e) => (e as ts.StringLiteral).text);
      } else {
        errors.push(`${where}: "shimModules" expects an array of module names, as ["@acme/workers"]`);
      }
    } else if (key === 'stateBudget') {
      const n = ts.isNumericLiteral(value) ? Number(value.text) : NaN;
      if (Number.isSafeInteger(n) && n >= MIN_STATE_BUDGET) config.stateBudget = n;
      else errors.push(`${where}: "stateBudget" expects a whole number of at least ${MIN_STATE_BUDGET}`);
    } else if (key !== '$schema') {
      errors.push(`${at(prop.name.getStart(sf))}: unknown key "${key}" (expected ${KEYS.join(' or ')})`);
    }
  }
  return { config, errors };
}
