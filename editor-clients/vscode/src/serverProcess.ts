/**
 * The language server as a child process the extension owns.
 *
 * Why not vscode-languageclient's `command` form: it logs every exit, even the clean one
 * after a shutdown, as "[Error] Server process exited with code 0", and stopping does not
 * wait for the old server to finish (cancel its solves, remove their sandbox containers),
 * so a restart could overlap the old server's clean-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { StreamInfo } from 'vscode-languageclient/node';

export interface Log {
  append(text: string): void;
  appendLine(line: string): void;
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private stopping = false;

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly cwd: string | undefined,
    private readonly log: Log,
  ) {}

  /** Spawn the server (vscode-languageclient calls this on start and on its own restarts). */
  start(): Promise<StreamInfo> {
    const child = spawn(this.command, this.args, { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (data: Buffer) => this.log.append(data.toString()));
    child.on('exit', (code, signal) => {
      if (!this.stopping) {
        this.log.appendLine(`The PaCoRe server exited unexpectedly (${signal ?? `exit code ${code}`}); its log is above.`);
      }
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        if (child.stdout === null || child.stdin === null) {
          reject(new Error('the server process has no stdio pipes'));
          return;
        }
        resolve({ reader: child.stdout, writer: child.stdin });
      });
    });
  }

  /** After the client's shutdown and exit messages: wait until the process has ended,
   * killing it if it has not after `timeoutMs`. */
  async stopped(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => {
      this.log.appendLine(`The PaCoRe server did not exit within ${timeoutMs / 1000} s of shutting down: killing it.`);
      child.kill('SIGKILL');
    }, timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
