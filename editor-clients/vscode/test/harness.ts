/**
 * Drives the real PaCoRe server over stdio with Microsoft's protocol client, answering the
 * server's requests the way the extension (via vscode-languageclient) does, with the
 * extension's own message builders from src/protocol.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  ApplyWorkspaceEditRequest,
  ConfigurationRequest,
  createProtocolConnection,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowDocumentRequest,
  ShowMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  UnregistrationRequest,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type ApplyWorkspaceEditParams,
  type LogMessageParams,
  type ProgressToken,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type ShowDocumentParams,
  type ShowMessageParams,
} from 'vscode-languageserver-protocol/node';
import {
  applyTextEdits,
  CLIENT_CAPABILITIES,
  configurationResult,
  documentEdits,
  initializationOptions,
  serverCommand,
  versionMismatch,
  type PacoreSettings,
  type ProgressUpdate,
  ProgressTracker,
} from '../src/protocol';

export const REPO = findRepo(__dirname);
export const PYTHON = process.env.PACORE_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
export const SANDBOX = (process.env.PACORE_TEST_SANDBOX ?? 'docker') as 'docker' | 'local';

function findRepo(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'pyproject.toml'))) {
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error(`no pyproject.toml above ${start}`);
    }
    dir = up;
  }
  return dir;
}

/** Wait until `predicate` holds, polling; rejects with `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The scripted OpenAI-compatible server (tests/support/scripted_server.py) in a child process. */
export class ScriptedModel {
  private constructor(
    private readonly proc: ChildProcess,
    readonly baseUrl: string,
  ) {}

  static async start(replies: unknown[], dir: string): Promise<ScriptedModel> {
    const script = path.join(dir, `replies-${process.hrtime.bigint()}.json`);
    fs.writeFileSync(script, JSON.stringify(replies));
    const proc = spawn(PYTHON, ['-m', 'tests.support.scripted_server', '--port', '0', '--script', script], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = readline.createInterface({ input: proc.stdout! });
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('scripted server did not print its URL')), 20_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line.trim());
      });
      proc.once('exit', (code) => reject(new Error(`scripted server exited with ${code}`)));
    });
    return new ScriptedModel(proc, baseUrl);
  }

  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

export interface OpenDocument {
  uri: string;
  text: string;
  version: number;
}

/** A workspace in a temp directory with the given files. */
export function makeWorkspace(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pacore-vscode-'));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

/** One server session: what the server asked and said, and the documents "open in the editor". */
export class Session {
  readonly progress: ProgressUpdate[] = [];
  readonly created: ProgressToken[] = [];
  readonly edits: ApplyWorkspaceEditParams[] = [];
  readonly messages: ShowMessageParams[] = [];
  readonly logs: LogMessageParams[] = [];
  readonly shown: ShowDocumentParams[] = [];
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly docs = new Map<string, OpenDocument>();
  stderr = '';
  private readonly tracker = new ProgressTracker();

  private constructor(
    readonly conn: ProtocolConnection,
    private readonly proc: ChildProcess,
    readonly root: string,
    readonly settings: PacoreSettings,
  ) {}

  /** Start the server exactly as the extension would (src/protocol.ts serverCommand). */
  static async start(root: string, settings: PacoreSettings): Promise<Session> {
    const cmd = serverCommand(settings);
    const proc = spawn(cmd.command, cmd.args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const session = new Session(conn, proc, root, settings);
    proc.stderr!.on('data', (chunk: Buffer) => {
      session.stderr += chunk.toString();
    });
    session.wire();
    conn.listen();
    const rootUri = pathToFileURL(root).toString();
    await conn.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: 'pacore-vscode-test' },
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: path.basename(root) }],
      capabilities: CLIENT_CAPABILITIES,
      initializationOptions: initializationOptions(settings),
    }).then((r) => {
      session.initializeResult = r as Record<string, unknown>;
    });
    await conn.sendNotification('initialized', {});
    return session;
  }

  initializeResult: Record<string, unknown> = {};

  /** The handlers vscode-languageclient installs, with the extension's logic where it has its own. */
  private wire(): void {
    const { conn } = this;
    conn.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      this.created.push(params.token);
      conn.onProgress(WorkDoneProgress.type, params.token, (value) => {
        this.progress.push(this.tracker.update(params.token, value));
      });
      return null;
    });
    conn.onRequest(ConfigurationRequest.type, (params) => configurationResult(params.items, this.settings));
    conn.onRequest(ApplyWorkspaceEditRequest.type, (params) => this.applyEdit(params));
    conn.onRequest(ShowDocumentRequest.type, (params) => {
      this.shown.push(params);
      return { success: true };
    });
    conn.onRequest(RegistrationRequest.type, () => undefined);
    conn.onRequest(UnregistrationRequest.type, () => undefined);
    conn.onNotification(ShowMessageNotification.type, (p) => this.messages.push(p));
    conn.onNotification(LogMessageNotification.type, (p) => this.logs.push(p));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => this.diagnostics.set(p.uri, p));
  }

  /** What the extension's applyEdit handler does, without the diff preview UI. */
  private applyEdit(params: ApplyWorkspaceEditParams): { applied: boolean; failureReason?: string } {
    this.edits.push(params);
    const versions = new Map([...this.docs.values()].map((d) => [d.uri, d.version] as const));
    if (versionMismatch(params.edit, versions)) {
      return { applied: false, failureReason: 'the document changed since the solve started' };
    }
    for (const d of documentEdits(params.edit)) {
      const doc = this.docs.get(d.uri);
      if (doc === undefined) {
        return { applied: false, failureReason: `${d.uri} is not open` };
      }
      this.change(doc, applyTextEdits(doc.text, d.edits));
    }
    return { applied: true };
  }

  /** What the server said so far, for failure messages. */
  describe(): string {
    return JSON.stringify(
      {
        messages: this.messages,
        logs: this.logs.map((l) => l.message),
        progress: this.progress.map((p) => `${p.kind} ${p.message ?? ''}`),
        shown: this.shown,
        stderr: this.stderr.slice(-4000),
      },
      null,
      1,
    );
  }

  /** Wait for `probe` like `until`, adding what the server said to the error. */
  async expect<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
    try {
      return await until(what, timeoutMs, probe);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.describe()}`);
    }
  }

  open(rel: string): OpenDocument {
    const file = path.join(this.root, rel);
    const doc = { uri: pathToFileURL(file).toString(), text: fs.readFileSync(file, 'utf8'), version: 1 };
    this.docs.set(doc.uri, doc);
    void this.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: doc.uri, languageId: 'python', version: doc.version, text: doc.text },
    });
    return doc;
  }

  /** Replace a document's text as the editor would, with a full-text didChange. */
  change(doc: OpenDocument, text: string): void {
    doc.text = text;
    doc.version += 1;
    void this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri: doc.uri, version: doc.version },
      contentChanges: [{ text }],
    });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // the server may already be gone; it is killed below
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 5000);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.proc.exitCode !== null) {
        clearTimeout(timer);
        resolve();
      }
    });
    this.conn.dispose();
  }
}
