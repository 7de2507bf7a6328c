/**
 * PaCoRe for VS Code: a thin client of the PaCoRe language server.
 *
 * The server finds the function, its tests, runs the rounds and sends the edit; the extension
 * starts it, passes the `pacore.*` settings, shows progress and results, and optionally
 * previews the edit before applying it.
 */
import * as vscode from 'vscode';
import {
  ApplyWorkspaceEditRequest,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  WorkDoneProgressCancelNotification,
  type ApplyWorkspaceEditParams,
  type ApplyWorkspaceEditResult,
  type ExecuteCommandParams,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { selectedInterpreter } from './interpreter';
import { NotificationProgress } from './progressUi';
import { RunPanel } from './runView';
import { ServerProcess } from './serverProcess';
import { confirmEdit, PREVIEW_SCHEME, PreviewProvider, REPORT_SCHEME } from './preview';
import {
  cancelParams,
  checkServerModule,
  CLIENT_CAPABILITIES,
  configurationResult,
  describeStartFailure,
  doctorChecks,
  doctorParams,
  findExecutable,
  formatDoctor,
  initializationOptions,
  isSolveStarted,
  mergeCapabilities,
  needsRestart,
  progressCancelParams,
  readSettings,
  reportParams,
  SECTION,
  serverCommand,
  solveIdOfToken,
  FIX_COMMAND,
  solveParams,
  SOLVE_COMMAND,
  summarizeReport,
  versionMismatch,
  type PacoreSettings,
  type ServerCommand,
} from './protocol';

/** How long a stopping server may take to shut down (cancel solves, remove containers). */
const SHUTDOWN_TIMEOUT_MS = 30_000;
/** How long its process may take to end after the exit notification before it is killed. */
const EXIT_TIMEOUT_MS = 15_000;

/**
 * The settings now. A server key counts only where the user set it (user, workspace or folder
 * settings): package.json's defaults are the key table's, shown in the Settings UI, and must not
 * override `[tool.pacore]` or `PACORE_*` variables, which the server layers below the editor's.
 */
function currentSettings(): PacoreSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return readSettings((key) => {
    const seen = config.inspect(key);
    return seen?.workspaceFolderValue ?? seen?.workspaceValue ?? seen?.globalValue;
  });
}

/** Adds the capabilities PaCoRe relies on to vscode-languageclient's own. */
const pacoreCapabilities: StaticFeature = {
  fillClientCapabilities: (caps) => mergeCapabilities(caps as Record<string, unknown>, CLIENT_CAPABILITIES as Record<string, unknown>),
  initialize: () => undefined,
  getState: () => ({ kind: 'static' }),
  clear: () => undefined,
};

class PacoreController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private settings: PacoreSettings = currentSettings();
  private progress: NotificationProgress | undefined;
  private starting: Promise<void> | undefined;
  private server: ServerProcess | undefined;
  private lifecycle: Promise<void> = Promise.resolve();
  readonly runs = new RunPanel((params, quiet) => this.execute(params, quiet));

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly previews: PreviewProvider,
    private readonly reports: PreviewProvider,
  ) {}

  async start(): Promise<void> {
    this.starting = this.launch();
    return this.starting;
  }

  private async launch(): Promise<void> {
    this.settings = currentSettings();
    const folder = vscode.workspace.workspaceFolders?.[0];
    const cmd = serverCommand(this.settings, await selectedInterpreter(folder?.uri));
    this.output.appendLine(`Starting the PaCoRe server: ${[cmd.command, ...cmd.args].join(' ')} (from ${cmd.source})`);
    if (findExecutable(cmd.command) === undefined) {
      this.reportStartFailure(cmd, Object.assign(new Error(`${cmd.command} not found`), { code: 'ENOENT' }));
      return;
    }
    const problem = await checkServerModule(cmd, folder?.uri.fsPath);
    if (problem !== undefined) {
      this.reportProblem(problem);
      return;
    }
    const server = new ServerProcess(cmd.command, cmd.args, folder?.uri.fsPath, this.output);
    const serverOptions: ServerOptions = () => server.start();
    const client = new LanguageClient('pacore', 'PaCoRe', serverOptions, this.clientOptions());
    client.registerFeature(pacoreCapabilities);
    // replaces vscode-languageclient's handler (registered before ours on connection start)
    client.onRequest(ApplyWorkspaceEditRequest.type, (params) => this.applyEdit(params));
    this.client = client;
    this.server = server;
    try {
      await client.start();
      this.output.appendLine('PaCoRe server started.');
    } catch (error) {
      this.client = undefined;
      this.server = undefined;
      this.reportStartFailure(cmd, error);
      await client.dispose().catch(() => undefined);
      await server.stopped(EXIT_TIMEOUT_MS);
    }
  }

  private clientOptions(): LanguageClientOptions {
    this.progress?.dispose();
    const progress = new NotificationProgress((token) => {
      void this.client?.sendNotification(WorkDoneProgressCancelNotification.type, progressCancelParams(token));
    });
    this.progress = progress;
    return {
      documentSelector: [{ scheme: 'file', language: 'python' }],
      outputChannel: this.output,
      initializationOptions: initializationOptions(this.settings),
      middleware: {
        workspace: {
          configuration: (params) => configurationResult(params.items, currentSettings()),
        },
        handleWorkDoneProgress: (token, params, next) => {
          const update = progress.handle(token, params);
          if (update.message !== undefined) {
            this.output.appendLine(`[progress] ${update.title}: ${update.message}`);
          }
          if (params.kind === 'end') {
            this.finished(token, update.title, params.message);
            next(token, params);
          }
        },
        executeCommand: async (command, args, next) => {
          try {
            const result: unknown = await next(command, args);
            if (command === SOLVE_COMMAND || command === FIX_COMMAND) {
              this.solveStarted(result, command === FIX_COMMAND ? 'Fixing' : 'Solving');
            }
            return result;
          } catch (error) {
            void vscode.window.showErrorMessage(`PaCoRe: ${errorMessage(error)}`);
            return undefined;
          }
        },
      },
    };
  }

  private reportStartFailure(cmd: ServerCommand, error: unknown): void {
    this.reportProblem(describeStartFailure(cmd, error));
  }

  private reportProblem(message: string): void {
    this.output.appendLine(message);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'pacore.');
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
    });
  }

  private async applyEdit(params: ApplyWorkspaceEditParams): Promise<ApplyWorkspaceEditResult> {
    const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d.version] as const));
    if (versionMismatch(params.edit, open)) {
      return { applied: false, failureReason: 'the document changed since the solve started' };
    }
    if (currentSettings().previewDiff && !(await confirmEdit(this.previews, params))) {
      this.output.appendLine(`Rejected: ${params.label ?? 'edit'}`);
      return { applied: false, failureReason: 'rejected by the user in the diff preview' };
    }
    const client = this.client;
    if (client === undefined) {
      return { applied: false, failureReason: 'the client stopped' };
    }
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(params.edit);
    const applied = await vscode.workspace.applyEdit(edit);
    this.output.appendLine(`${applied ? 'Applied' : 'Could not apply'}: ${params.label ?? 'edit'}`);
    return applied ? { applied } : { applied, failureReason: 'VS Code refused the edit' };
  }

  /** The finished notification of a solve, with a button that opens its run page. */
  private finished(token: string | number, title: string | undefined, message: string | undefined): void {
    const solveId = solveIdOfToken(token);
    if (solveId === undefined || message === 'cancelled') {
      return; // the user cancelled it: they know
    }
    const name = (title ?? '').replace(/^PaCoRe: /, '');
    void vscode.window.showInformationMessage(`PaCoRe finished ${name}: ${message ?? 'done'}`, 'Show run').then((choice) => {
      if (choice === 'Show run') {
        void this.runs.show(solveId);
      }
    });
  }

  private solveStarted(result: unknown, verb: string): void {
    if (isSolveStarted(result)) {
      this.output.appendLine(`${verb} ${result.function} (solve ${result.solveId})`);
    }
  }

  /** Send a `workspace/executeCommand`, turning failures into error messages (`quiet`: into
   * undefined, for requests the user did not ask for, such as a live page's refresh). */
  async execute(params: ExecuteCommandParams, quiet = false): Promise<unknown> {
    await this.starting;
    const client = this.client;
    if (quiet && (client === undefined || client.state !== State.Running)) {
      return undefined;
    }
    if (client === undefined || client.state !== State.Running) {
      void vscode.window.showErrorMessage('PaCoRe: the language server is not running. See the "PaCoRe" output channel.', 'Show Output')
        .then((c) => c && this.output.show(true));
      return undefined;
    }
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, params);
    } catch (error) {
      if (quiet) {
        return undefined;
      }
      void vscode.window.showErrorMessage(`PaCoRe: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /** `pacore.solve` on the stub at the cursor, or `pacore.fix` on the written function there. */
  async solveAtCursor(command: string = SOLVE_COMMAND): Promise<void> {
    const fix = command === FIX_COMMAND;
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || editor.document.languageId !== 'python') {
      void vscode.window.showWarningMessage(`PaCoRe: put the cursor in a Python function ${fix ? '' : 'stub '}first.`);
      return;
    }
    const { document, selection } = editor;
    const result = await this.execute(solveParams(document.uri.toString(), selection.active, document.version, command));
    this.solveStarted(result, fix ? 'Fixing' : 'Solving');
  }

  /** Every stub of the workspace, callees first (`pacore.solveAll` without a file). */
  async solveAllInWorkspace(): Promise<void> {
    const result = await this.execute({ command: 'pacore.solveAll', arguments: [] });
    const stubs = (result as { stubs?: unknown[] } | undefined)?.stubs;
    if (stubs !== undefined) {
      this.output.appendLine(`Solving ${stubs.length} stubs of the workspace`);
    }
  }

  async cancel(): Promise<void> {
    const result = await this.execute(cancelParams());
    if (result !== undefined) {
      const ids = (result as { cancelled?: unknown[] }).cancelled ?? [];
      void vscode.window.showInformationMessage(ids.length > 0 ? `PaCoRe: cancelled ${ids.length} solve(s).` : 'PaCoRe: nothing to cancel.');
    }
  }

  async showReport(): Promise<void> {
    const report = await this.execute(reportParams());
    if (report === undefined || report === null) {
      void vscode.window.showInformationMessage('PaCoRe: no report yet; solve a function first.');
      return;
    }
    this.output.appendLine(summarizeReport(report));
    const name = (report as { function?: unknown }).function;
    const title = `/PaCoRe report ${typeof name === 'string' ? name : 'last'}.json`;
    const uri = this.reports.add(vscode.Uri.file(title), JSON.stringify(report, null, 2));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  async doctor(): Promise<void> {
    const result = await this.execute(doctorParams());
    if (result === undefined) {
      return;
    }
    this.output.appendLine('PaCoRe health check:');
    formatDoctor(result).forEach((line) => this.output.appendLine(`  ${line}`));
    const failed = doctorChecks(result).filter((c) => !c.ok);
    if (failed.length === 0) {
      void vscode.window.showInformationMessage('PaCoRe: all health checks passed.');
    } else {
      const first = failed[0];
      void vscode.window
        .showWarningMessage(`PaCoRe: ${failed.length} check(s) failed. ${first.name}: ${first.message}${first.fix ? ` Fix: ${first.fix}` : ''}`, 'Show Output')
        .then((c) => c && this.output.show(true));
    }
  }

  /**
   * Run restarts one after another. Why: typing a value in the Settings editor fires one
   * change per keystroke; overlapping restarts would start several servers.
   */
  private serialize(task: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(task, task);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  restart(): Promise<void> {
    return this.serialize(async () => {
      await this.stop();
      await this.start();
    });
  }

  /** Restart when a setting the server reads changed since it started (checked in turn, so a
   * burst of changes costs one restart with the latest values). */
  onSettingsChanged(): Promise<void> {
    return this.serialize(async () => {
      if (needsRestart(this.settings, currentSettings())) {
        this.output.appendLine('PaCoRe settings changed: restarting the server.');
        await this.stop();
        await this.start();
      }
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    const server = this.server;
    this.client = undefined;
    this.server = undefined;
    this.progress?.dispose();
    if (client !== undefined) {
      // the server cancels its solves and removes their sandbox containers before it exits
      await client.dispose(SHUTDOWN_TIMEOUT_MS).catch((error: unknown) => this.output.appendLine(`Stopping the server: ${errorMessage(error)}`));
    }
    await server?.stopped(EXIT_TIMEOUT_MS);
  }

  dispose(): void {
    this.runs.dispose();
    void this.stop();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let controller: PacoreController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('PaCoRe');
  const previews = new PreviewProvider();
  const reports = new PreviewProvider(REPORT_SCHEME);
  const ctl = new PacoreController(output, previews, reports);
  controller = ctl;
  context.subscriptions.push(
    output,
    previews,
    ctl,
    reports,
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, previews),
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    vscode.commands.registerCommand('pacore.solveAtCursor', () => ctl.solveAtCursor()),
    vscode.commands.registerCommand('pacore.fixAtCursor', () => ctl.solveAtCursor(FIX_COMMAND)),
    vscode.commands.registerCommand('pacore.solveAllInWorkspace', () => ctl.solveAllInWorkspace()),
    vscode.commands.registerCommand('pacore.cancelSolve', () => ctl.cancel()),
    vscode.commands.registerCommand('pacore.showReport', () => ctl.showReport()),
    vscode.commands.registerCommand('pacore.showRun', () => ctl.runs.choose()),
    vscode.commands.registerCommand('pacore.runHealthCheck', () => ctl.doctor()),
    vscode.commands.registerCommand('pacore.restartServer', () => ctl.restart()),
    vscode.commands.registerCommand('pacore.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) {
        void ctl.onSettingsChanged();
      }
    }),
  );
  await ctl.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
