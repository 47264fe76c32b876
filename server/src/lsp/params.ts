// The shape of the params of the requests the server answers, checked before use: a client that
// sends something else gets InvalidParams (-32602) saying what is wrong, not an InternalError
// carrying a TypeError from deep inside a handler. Only what the handlers read is checked.
import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';

type Json = Record<string, unknown>;

function invalid(message: string): never {
  throw new ResponseError(ErrorCodes.InvalidParams, message);
}

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(`${what} must be an object`);
  return v as Json;
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function position(v: unknown, what: string): void {
  const p = typeof v === 'object' && v !== null ? v as Json : {};
  if (!isCount(p.line) || !isCount(p.character)) invalid(`${what} must be { line, character } with whole numbers from 0`);
}

function range(v: unknown, what: string): void {
  const r = object(v, what);
  position(r.start, `${what}.start`);
  position(r.end, `${what}.end`);
}

/** `{ textDocument: { uri } }`: diagnostics, code lenses, the model. */
export function checkDocumentParams(params: unknown): void {
  const p = object(params, 'params');
  const doc = object(p.textDocument, 'textDocument');
  if (typeof doc.uri !== 'string') invalid('textDocument.uri must be a string');
  try {
    new URL(doc.uri);
  } catch {
    invalid(`textDocument.uri is not a URI: ${JSON.stringify(doc.uri).slice(0, 200)}`);
  }
}

/** Hover: a document and a position. */
export function checkPositionParams(params: unknown): void {
  checkDocumentParams(params);
  position((params as Json).position, 'position');
}

/** Code actions: a document, a range, and a context with the diagnostics (and maybe the kinds wanted). */
export function checkCodeActionParams(params: unknown): void {
  checkDocumentParams(params);
  const p = params as Json;
  range(p.range, 'range');
  const context = object(p.context, 'context');
  if (!Array.isArray(context.diagnostics)) invalid('context.diagnostics must be an array');
  if (context.only !== undefined && !(Array.isArray(context.only) && context.only.every((k) => typeof k === 'string'))) invalid('context.only must be an array of strings');
}

/** Workspace diagnostics: the result ids the client holds. */
export function checkWorkspaceDiagnosticParams(params: unknown): void {
  const p = object(params, 'params');
  if (!Array.isArray(p.previousResultIds)) invalid('previousResultIds must be an array');
  for (const [i, r] of p.previousResultIds.entries()) {
    const id = object(r, `previousResultIds[${i}]`);
    if (typeof id.uri !== 'string' || typeof id.value !== 'string') invalid(`previousResultIds[${i}] must be { uri, value } with strings`);
  }
}
