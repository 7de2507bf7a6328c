/** The Python interpreter selected in the Python extension (ms-python.python), if any. */
import * as vscode from 'vscode';

interface EnvironmentPath {
  path: string;
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

/**
 * Why both APIs: `environments` is the current one; `settings.getExecutionDetails` is what
 * older Python extensions expose. The `python.defaultInterpreterPath` setting is the last resort.
 */
export async function selectedInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (ext !== undefined) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const fromEnv = api.environments?.getActiveEnvironmentPath(resource)?.path;
      if (fromEnv) {
        return fromEnv;
      }
      const exec = api.settings?.getExecutionDetails(resource)?.execCommand;
      if (exec && exec.length > 0) {
        return exec[0];
      }
    } catch {
      // fall through to the setting: a broken Python extension must not block the server
    }
  }
  const configured = vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath');
  return configured && configured !== 'python' ? configured : undefined;
}
