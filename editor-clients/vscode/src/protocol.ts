/**
 * The PaCoRe client's side of docs/lsp-protocol.md, free of any `vscode` import.
 *
 * Why a separate module: the extension and the Node test (which drives the real server with
 * vscode-languageserver-protocol) both build their messages here, so the test exercises the
 * exact settings, capabilities, command arguments and edit handling that the extension uses.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  ApplyWorkspaceEditParams,
  ClientCapabilities,
  CodeAction,
  Command,
  ConfigurationItem,
  ExecuteCommandParams,
  Position,
  ProgressToken,
  TextEdit,
  WorkDoneProgressBegin,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import type { DoctorCheck, RunEntry, RunPage, SolveReport, SolveStarted } from './protocolTypes';
import { SERVER_SETTING_KEYS, type ServerSettingKey } from './settingsTable';

// What the server sends: generated from its pydantic models (scripts/gen_protocol_ts.py).
export type {
  CancelResult,
  DoctorCheck,
  DoctorReport,
  ReportRound,
  ReportSelected,
  ReportVerification,
  RunEntry,
  RunPage,
  SolveReport,
  SolveStarted,
} from './protocolTypes';
export { SERVER_SETTING_KEYS, type ServerSettingKey } from './settingsTable';

export const SECTION = 'pacore';
export const SOLVE_COMMAND = 'pacore.solve';
/** "Fix <name> with PaCoRe": a written function whose tests fail (offered by the server). */
export const FIX_COMMAND = 'pacore.fix';
export const CANCEL_COMMAND = 'pacore.cancel';
export const REPORT_COMMAND = 'pacore.report';
export const DOCTOR_COMMAND = 'pacore.doctor';
export const RUN_PAGE_COMMAND = 'pacore.runPage';
export const RUNS_COMMAND = 'pacore.runs';
/** Progress tokens of solves are `pacore/<solveId>` (docs/lsp-protocol.md). */
export const SOLVE_TOKEN_PREFIX = 'pacore/';
export const SOLVE_ACTION_TITLE = 'Solve with PaCoRe';
export const SOLVE_ACTION_KIND = 'refactor.rewrite';
export const CLI_MODULE = 'pacore_cli.main';

/** Settings only the client reads (package.json); they are never sent to the server. */
export interface ClientSettings {
  previewDiff: boolean;
  serverPath: string;
  pythonPath: string;
}

/**
 * The `pacore.*` settings as the client holds them: the server's keys the user set (as
 * written: the server validates them and names a bad one in a warning), and the client's own.
 * Which keys the server reads is generated from its key table (settingsTable.ts); types,
 * defaults and descriptions are in package.json, from the same generator.
 */
export interface PacoreSettings extends ClientSettings {
  server: Partial<Record<ServerSettingKey, unknown>>;
}

export type SettingName = ServerSettingKey | keyof ClientSettings;

export const CLIENT_DEFAULTS: Readonly<ClientSettings> = Object.freeze({
  previewDiff: false,
  serverPath: '',
  pythonPath: '',
});

/** Client settings whose change needs no server restart (read by the client when used). */
export const LIVE_KEYS: ReadonlyArray<keyof ClientSettings> = ['previewDiff'];

/**
 * Reads one setting: for the server's keys, only a value the user set (VS Code's
 * `inspect`), so that unset keys leave the server's lower layers (`[tool.pacore]`,
 * `PACORE_*` variables) in force rather than sending package.json's defaults over them.
 */
type Getter = (key: SettingName) => unknown;

function asString(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v.trim() : fallback;
}

function asBool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

/** An empty editor setting means "not set": the lower layers apply. */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

/** Read settings through `get` (the extension's reader, or a plain object in tests). */
export function readSettings(get: Getter): PacoreSettings {
  const server: Partial<Record<ServerSettingKey, unknown>> = {};
  for (const key of SERVER_SETTING_KEYS) {
    const value = get(key);
    if (!isUnset(value)) {
      server[key] = typeof value === 'string' ? value.trim() : value;
    }
  }
  return {
    server,
    previewDiff: asBool(get('previewDiff'), CLIENT_DEFAULTS.previewDiff),
    serverPath: asString(get('serverPath'), CLIENT_DEFAULTS.serverPath),
    pythonPath: asString(get('pythonPath'), CLIENT_DEFAULTS.pythonPath),
  };
}

/** Settings from a plain object such as `{baseUrl: ..., preset: 'low'}` (tests, scripts). */
export function settingsFrom(values: Partial<Record<SettingName, unknown>>): PacoreSettings {
  return readSettings((key) => values[key]);
}

/** The `pacore` section as the server receives it: the server keys the user set. */
export function serverSection(s: PacoreSettings): Record<string, unknown> {
  return { ...s.server };
}

export function initializationOptions(s: PacoreSettings): { pacore: Record<string, unknown> } {
  return { pacore: serverSection(s) };
}

/** Answer a `workspace/configuration` request: `pacore` gets the section, `pacore.x` one key. */
export function configurationResult(items: ConfigurationItem[], s: PacoreSettings): unknown[] {
  const section = serverSection(s);
  return items.map((item) => {
    if (item.section === SECTION) {
      return section;
    }
    if (item.section !== undefined && item.section.startsWith(`${SECTION}.`)) {
      return section[item.section.slice(SECTION.length + 1)] ?? null;
    }
    return null;
  });
}

/** Whether a settings change needs the server restarted (everything but client-side keys). */
export function needsRestart(before: PacoreSettings, after: PacoreSettings): boolean {
  if (JSON.stringify(serverSection(before)) !== JSON.stringify(serverSection(after))) {
    return true;
  }
  return (Object.keys(CLIENT_DEFAULTS) as (keyof ClientSettings)[]).some(
    (key) => !LIVE_KEYS.includes(key) && before[key] !== after[key],
  );
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** Which setting chose it, for error messages. */
  source: 'pacore.serverPath' | 'pacore.pythonPath' | 'Python interpreter' | 'PATH';
}

/**
 * How to start the server: `pacore.serverPath`, else `pacore.pythonPath`, else the Python
 * extension's selected interpreter (each with `-m pacore_cli.main lsp`), else `pacore-lsp`.
 */
export function serverCommand(s: PacoreSettings, selectedInterpreter?: string): ServerCommand {
  if (s.serverPath !== '') {
    return { command: s.serverPath, args: [], source: 'pacore.serverPath' };
  }
  if (s.pythonPath !== '') {
    return { command: s.pythonPath, args: ['-m', CLI_MODULE, 'lsp'], source: 'pacore.pythonPath' };
  }
  if (selectedInterpreter !== undefined && selectedInterpreter !== '') {
    return { command: selectedInterpreter, args: ['-m', CLI_MODULE, 'lsp'], source: 'Python interpreter' };
  }
  return { command: 'pacore-lsp', args: [], source: 'PATH' };
}

/**
 * Resolve `command` like the OS would (PATH search when it has no directory part), so a
 * missing server is reported before spawning rather than as a bare ENOENT.
 */
export function findExecutable(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const isExecutable = (p: string): boolean => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/') || command.includes(path.sep)) {
    return isExecutable(command) ? command : undefined;
  }
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      if (dir !== '' && isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * For the interpreter form, check that the interpreter can import the server, so that a
 * Python without pacore-code gets a clear message instead of a server that dies at start.
 * Returns the message, or undefined when the server module imports.
 */
export function checkServerModule(cmd: ServerCommand, cwd?: string): Promise<string | undefined> {
  if (cmd.args[0] !== '-m') {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    execFile(cmd.command, ['-c', `import ${CLI_MODULE}`], { timeout: 60_000, cwd }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve(undefined);
        return;
      }
      const last = String(stderr).trim().split('\n').pop() || error.message;
      resolve(
        `PaCoRe: "${cmd.command}" (from ${cmd.source}) cannot run the language server: ${last}. ` +
          'Install it there with "pip install pacore-code", or set "pacore.pythonPath" to a Python ' +
          'that has it, or "pacore.serverPath" to the pacore-lsp executable.',
      );
    });
  });
}

/** A user-facing explanation of why the server did not start, with the fix. */
export function describeStartFailure(cmd: ServerCommand, error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const line = [cmd.command, ...cmd.args].join(' ');
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'ENOENT') {
    return (
      `PaCoRe: cannot start the language server: "${cmd.command}" (from ${cmd.source}) was not found. ` +
      'Install it with "pip install pacore-code" in your project\'s environment, or set ' +
      '"pacore.serverPath" to the pacore-lsp executable or "pacore.pythonPath" to a Python that has it.'
    );
  }
  if (code === 'EACCES') {
    return `PaCoRe: cannot start the language server: "${cmd.command}" (from ${cmd.source}) is not executable.`;
  }
  return (
    `PaCoRe: the language server "${line}" (from ${cmd.source}) failed to start: ${detail}. ` +
    'See the "PaCoRe" output channel for its log, and run "PaCoRe: Run Health Check" once it starts.'
  );
}

/**
 * The capabilities that matter to PaCoRe. The extension adds them to vscode-languageclient's
 * (which already declares them) through a static feature; the test sends exactly these.
 */
export const CLIENT_CAPABILITIES: ClientCapabilities = {
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true },
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    executeCommand: { dynamicRegistration: true },
    workspaceFolders: true,
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true },
    codeAction: {
      dynamicRegistration: true,
      codeActionLiteralSupport: {
        codeActionKind: {
          valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source'],
        },
      },
    },
    publishDiagnostics: { relatedInformation: true },
  },
  window: {
    workDoneProgress: true,
    showMessage: { messageActionItem: { additionalPropertiesSupport: true } },
    showDocument: { support: true },
  },
};

/** Fill `extra` into `target` without overriding what is already declared. */
export function mergeCapabilities(target: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(extra)) {
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) {
      mergeCapabilities(current, value);
    } else if (current === undefined) {
      target[key] = structuredClone(value);
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `workspace/executeCommand` params of `pacore.solve` (or `pacore.fix`) for the function at `position`. */
export function solveParams(uri: string, position: Position, version?: number,
  command: string = SOLVE_COMMAND): ExecuteCommandParams {
  const arg: Record<string, unknown> = { uri, position: { line: position.line, character: position.character } };
  if (version !== undefined) {
    arg.version = version;
  }
  return { command, arguments: [arg] };
}

export type CancelTarget = { solveId: string } | { uri: string; position: Position };

/** `pacore.cancel` params: one solve, the solve at a position, or every running solve. */
export function cancelParams(target?: CancelTarget): ExecuteCommandParams {
  return { command: CANCEL_COMMAND, arguments: target === undefined ? [] : [target] };
}

/** `window/workDoneProgress/cancel` params: what the Cancel button of a progress sends. */
export function progressCancelParams(token: ProgressToken): { token: ProgressToken } {
  return { token };
}

export function reportParams(solveId?: string): ExecuteCommandParams {
  return { command: REPORT_COMMAND, arguments: solveId === undefined ? [] : [{ solveId }] };
}

/** `pacore.runPage` params: a run (default the latest); `since` skips an unchanged page. */
export function runPageParams(args: { solveId?: string; since?: number; write?: boolean } = {}): ExecuteCommandParams {
  return { command: RUN_PAGE_COMMAND, arguments: [args] };
}

export function runsParams(): ExecuteCommandParams {
  return { command: RUNS_COMMAND, arguments: [] };
}

export function isRunPage(v: unknown): v is RunPage {
  return isPlainObject(v) && typeof v.solveId === 'string' && typeof v.version === 'number'
    && typeof v.state === 'string' && (typeof v.html === 'string' || v.html === null);
}

export function isRunEntries(v: unknown): v is RunEntry[] {
  return Array.isArray(v) && v.every((e) => isPlainObject(e) && typeof e.solveId === 'string' && typeof e.function === 'string');
}

/** The solve a progress token belongs to, if it is a solve's. */
export function solveIdOfToken(token: ProgressToken): string | undefined {
  return typeof token === 'string' && token.startsWith(SOLVE_TOKEN_PREFIX) ? token.slice(SOLVE_TOKEN_PREFIX.length) : undefined;
}

export function doctorParams(): ExecuteCommandParams {
  return { command: DOCTOR_COMMAND, arguments: [] };
}

export function isSolveStarted(v: unknown): v is SolveStarted {
  return isPlainObject(v) && typeof v.solveId === 'string' && typeof v.function === 'string';
}

/** The "Solve with PaCoRe" action among a `textDocument/codeAction` result, if offered. */
export function findSolveAction(actions: ReadonlyArray<Command | CodeAction> | null | undefined): Command | undefined {
  for (const action of actions ?? []) {
    if (action.title !== SOLVE_ACTION_TITLE) {
      continue;
    }
    const command = (action as CodeAction).command ?? (action as Command);
    if (typeof command.command === 'string' && command.command === SOLVE_COMMAND) {
      return command;
    }
  }
  return undefined;
}

export interface DocumentEdits {
  uri: string;
  /** The version the server computed the edit against (null/undefined: unversioned). */
  version: number | null | undefined;
  edits: TextEdit[];
}

/** The text edits per document of a workspace edit (`documentChanges` or plain `changes`). */
export function documentEdits(edit: WorkspaceEdit): DocumentEdits[] {
  const out: DocumentEdits[] = [];
  for (const change of edit.documentChanges ?? []) {
    if ('textDocument' in change && 'edits' in change) {
      out.push({ uri: change.textDocument.uri, version: change.textDocument.version, edits: change.edits as TextEdit[] });
    }
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    out.push({ uri, version: undefined, edits });
  }
  return out;
}

/** Whether any versioned edit targets a document whose open version has moved on. */
export function versionMismatch(edit: WorkspaceEdit, openVersions: ReadonlyMap<string, number>): boolean {
  return documentEdits(edit).some((d) => {
    const open = openVersions.get(d.uri);
    return typeof d.version === 'number' && d.version >= 0 && open !== undefined && open !== d.version;
  });
}

/** Offset of an LSP position (UTF-16 code units, like JS strings) in `text`. */
export function offsetAt(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) {
      return text.length;
    }
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const end = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + position.character, end);
}

/** Apply non-overlapping LSP text edits to `text` (used for the diff preview and the test). */
export function applyTextEdits(text: string, edits: ReadonlyArray<TextEdit>): string {
  const spans = edits
    .map((e) => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const s of spans) {
    result = result.slice(0, s.start) + s.newText + result.slice(s.end);
  }
  return result;
}

/** The function name in an applyEdit label `PaCoRe: <function>`. */
export function editLabelFunction(params: ApplyWorkspaceEditParams): string | undefined {
  const m = /^PaCoRe: (.+)$/.exec(params.label ?? '');
  return m ? m[1] : undefined;
}

export type WorkDoneProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface ProgressUpdate {
  token: string;
  kind: 'begin' | 'report' | 'end';
  title: string;
  message: string | undefined;
  /** Percentage points gained since the last update (for VS Code's progress.report). */
  increment: number | undefined;
  cancellable: boolean;
}

/** Follows `$/progress` streams per token: titles, messages and percentage increments. */
export class ProgressTracker {
  private readonly parts = new Map<string, { title: string; reported: number; cancellable: boolean }>();

  update(token: ProgressToken, value: WorkDoneProgressValue): ProgressUpdate {
    const key = String(token);
    if (value.kind === 'begin') {
      this.parts.set(key, { title: value.title, reported: 0, cancellable: value.cancellable === true });
    }
    const part = this.parts.get(key) ?? { title: 'PaCoRe', reported: 0, cancellable: false };
    let increment: number | undefined;
    if (value.kind !== 'end' && typeof value.percentage === 'number') {
      const pct = Math.max(0, Math.min(100, value.percentage));
      increment = Math.max(0, pct - part.reported);
      part.reported += increment;
    }
    if (value.kind === 'report' && typeof value.cancellable === 'boolean') {
      part.cancellable = value.cancellable;
    }
    if (value.kind === 'end') {
      this.parts.delete(key);
    }
    return { token: key, kind: value.kind, title: part.title, message: value.message, increment, cancellable: part.cancellable };
  }

  get active(): string[] {
    return [...this.parts.keys()];
  }
}

export function doctorChecks(result: unknown): DoctorCheck[] {
  const checks = isPlainObject(result) && Array.isArray(result.checks) ? result.checks : [];
  return checks.filter(isPlainObject).map((c) => ({
    name: String(c.name ?? '?'),
    ok: c.ok === true,
    message: String(c.message ?? ''),
    fix: typeof c.fix === 'string' ? c.fix : '',
  }));
}

/** One line per check, failures with their fix: for the output channel and messages. */
export function formatDoctor(result: unknown): string[] {
  return doctorChecks(result).map(
    (c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}${!c.ok && c.fix ? ` (fix: ${c.fix})` : ''}`,
  );
}

/** Whether a `pacore.report` result is a report (it is `null` before any solve). */
export function isSolveReport(v: unknown): v is SolveReport {
  return (
    isPlainObject(v) &&
    typeof v.solveId === 'string' &&
    typeof v.status === 'string' &&
    typeof v.function === 'string' &&
    isPlainObject(v.verification)
  );
}

/** A one-line summary of a `pacore.report` result. */
export function summarizeReport(report: unknown): string {
  if (!isSolveReport(report)) {
    return 'PaCoRe: no report yet.';
  }
  const v = report.verification;
  return `PaCoRe: ${report.function}: ${report.status}, ${v.passed}/${v.total} tests, ${report.ttc_tokens} tokens`;
}
