/**
 * PaCoRe: Show Run. The run's page (rendered by the server, self-contained, its own CSP) in a
 * webview; while the run is in progress the panel asks for newer versions and posts them to
 * the page, which swaps its content in place (the selected card stays selected).
 */
import * as vscode from 'vscode';
import type { ExecuteCommandParams } from 'vscode-languageserver-protocol';
import { isRunEntries, isRunPage, runPageParams, runsParams, type RunPage } from './protocol';

/** How often a live panel asks whether its run changed. */
const POLL_MS = 1000;

type Request = (params: ExecuteCommandParams, quiet?: boolean) => Promise<unknown>;

interface Shown {
  solveId: string;
  version: number;
  state: string;
}

export class RunPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private shown: Shown | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly request: Request) {}

  /** The command: the latest run, or the one picked when there are several. */
  async choose(): Promise<void> {
    const runs = await this.request(runsParams());
    if (!isRunEntries(runs)) {
      return;
    }
    if (runs.length === 0) {
      void vscode.window.showInformationMessage('PaCoRe: no run yet; solve a function first.');
      return;
    }
    let solveId = runs[0].solveId;
    if (runs.length > 1) {
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: r.function, description: `${r.state} · ${r.solveId}`, detail: r.started, solveId: r.solveId })),
        { placeHolder: 'PaCoRe: which run? (the latest first)' },
      );
      if (pick === undefined) {
        return;
      }
      solveId = pick.solveId;
    }
    await this.show(solveId);
  }

  async show(solveId: string): Promise<void> {
    const page = await this.request(runPageParams({ solveId }));
    if (!isRunPage(page) || page.html === null) {
      return;
    }
    if (this.panel === undefined) {
      const panel = vscode.window.createWebviewPanel('pacore.run', title(page), vscode.ViewColumn.Beside, {
        enableScripts: true,
        enableCommandUris: false,
        localResourceRoots: [],
        retainContextWhenHidden: true,
      });
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.shown = undefined;
        this.stopPolling();
      });
      this.panel = panel;
    } else {
      this.panel.reveal(undefined, true);
    }
    this.panel.title = title(page);
    this.panel.webview.html = page.html;
    this.shown = { solveId: page.solveId, version: page.version, state: page.state };
    this.poll();
  }

  private poll(): void {
    this.stopPolling();
    const shown = this.shown;
    if (shown === undefined || shown.state !== 'running') {
      return;
    }
    this.timer = setTimeout(() => void this.refresh(shown), POLL_MS);
  }

  private async refresh(shown: Shown): Promise<void> {
    const page = await this.request(runPageParams({ solveId: shown.solveId, since: shown.version }), true);
    if (this.shown !== shown || this.panel === undefined) {
      return; // closed, or another run shown meanwhile
    }
    if (isRunPage(page)) {
      if (page.html !== null) {
        this.panel.title = title(page);
        void this.panel.webview.postMessage({ type: 'pacore.update', html: page.html, title: title(page) });
      }
      this.shown = { solveId: page.solveId, version: page.version, state: page.state };
    }
    this.poll();
  }

  private stopPolling(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  dispose(): void {
    this.stopPolling();
    this.panel?.dispose();
  }
}

function title(page: RunPage): string {
  return `PaCoRe run: ${page.function}${page.state === 'running' ? ' (running)' : ''}`;
}
