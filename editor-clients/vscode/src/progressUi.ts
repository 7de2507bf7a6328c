/**
 * Server-initiated `$/progress` shown as notifications with a working Cancel button.
 *
 * Why not vscode-languageclient's own progress: it uses the status bar (ProgressLocation.Window),
 * where VS Code shows no Cancel button. Cancel sends `window/workDoneProgress/cancel`.
 */
import * as vscode from 'vscode';
import type { ProgressToken } from 'vscode-languageserver-protocol';
import { ProgressTracker, type ProgressUpdate, type WorkDoneProgressValue } from './protocol';

interface Shown {
  progress?: vscode.Progress<{ message?: string; increment?: number }>;
  pending: { message?: string; increment?: number }[];
  finish: () => void;
}

export class NotificationProgress {
  private readonly tracker = new ProgressTracker();
  private readonly shown = new Map<string, Shown>();

  constructor(private readonly sendCancel: (token: ProgressToken) => void) {}

  /** Feed one `$/progress` value; returns the update for logging. */
  handle(token: ProgressToken, value: WorkDoneProgressValue): ProgressUpdate {
    const update = this.tracker.update(token, value);
    if (update.kind === 'begin') {
      this.open(token, update);
    }
    const part = this.shown.get(update.token);
    if (part === undefined) {
      return update;
    }
    if (update.kind === 'end') {
      part.finish();
      this.shown.delete(update.token);
    } else if (update.message !== undefined || update.increment !== undefined) {
      const step = { message: update.message, increment: update.increment };
      if (part.progress) {
        part.progress.report(step);
      } else {
        part.pending.push(step);
      }
    }
    return update;
  }

  private open(token: ProgressToken, update: ProgressUpdate): void {
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const part: Shown = { pending: [], finish };
    this.shown.set(update.token, part);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: update.title, cancellable: update.cancellable },
      async (progress, cancel) => {
        part.progress = progress;
        part.pending.splice(0).forEach((step) => progress.report(step));
        const sub = cancel.onCancellationRequested(() => this.sendCancel(token));
        try {
          await done;
        } finally {
          sub.dispose();
        }
      },
    );
  }

  dispose(): void {
    this.shown.forEach((part) => part.finish());
    this.shown.clear();
  }
}
