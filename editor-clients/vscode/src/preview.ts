/**
 * Diff preview of a server edit before it is applied (`pacore.previewDiff`).
 *
 * Why a content provider: the proposed text lives only in memory; a read-only virtual
 * document lets VS Code's own diff editor show it next to the user's file.
 */
import * as vscode from 'vscode';
import type { ApplyWorkspaceEditParams } from 'vscode-languageserver-protocol';
import { applyTextEdits, documentEdits, editLabelFunction } from './protocol';

export const PREVIEW_SCHEME = 'pacore-preview';
/** Read-only report documents: closing them asks nothing (an untitled document would). */
export const REPORT_SCHEME = 'pacore-report';

export class PreviewProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private counter = 0;

  constructor(private readonly scheme: string = PREVIEW_SCHEME) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Register proposed text and return the virtual document's URI. */
  add(original: vscode.Uri, text: string): vscode.Uri {
    this.counter += 1;
    const uri = vscode.Uri.from({ scheme: this.scheme, path: original.path, query: String(this.counter) });
    this.contents.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  remove(uri: vscode.Uri): void {
    this.contents.delete(uri.toString());
  }

  dispose(): void {
    this.changed.dispose();
    this.contents.clear();
  }
}

/**
 * Show each edited document side by side with its proposed text and ask Accept / Reject.
 * Returns true when the user accepted.
 */
export async function confirmEdit(provider: PreviewProvider, params: ApplyWorkspaceEditParams): Promise<boolean> {
  const fn = editLabelFunction(params) ?? 'function';
  const previews: vscode.Uri[] = [];
  try {
    for (const d of documentEdits(params.edit)) {
      const uri = vscode.Uri.parse(d.uri);
      const doc = await vscode.workspace.openTextDocument(uri);
      const preview = provider.add(uri, applyTextEdits(doc.getText(), d.edits));
      previews.push(preview);
      await vscode.commands.executeCommand('vscode.diff', uri, preview, `PaCoRe: ${fn} (proposed)`, { preview: true });
    }
    const choice = await vscode.window.showInformationMessage(
      `PaCoRe: apply the implementation of ${fn}?`,
      'Accept',
      'Reject',
    );
    return choice === 'Accept';
  } finally {
    previews.forEach((p) => provider.remove(p));
  }
}
