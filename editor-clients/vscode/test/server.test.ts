/**
 * The VS Code extension's requests against the real PaCoRe server (stdio), the scripted
 * model server and the real sandbox: the code action, `pacore.solve`, server-initiated
 * progress, the versioned edit, cancel through the progress Cancel button, report, doctor,
 * settings warnings, and the start-failure message.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CodeActionRequest,
  ExecuteCommandRequest,
  WorkDoneProgressCancelNotification,
  type CodeAction,
  type Command,
} from 'vscode-languageserver-protocol/node';
import {
  cancelParams,
  checkServerModule,
  describeStartFailure,
  doctorChecks,
  doctorParams,
  findExecutable,
  findSolveAction,
  isSolveReport,
  isSolveStarted,
  progressCancelParams,
  reportParams,
  serverCommand,
  serverSection,
  settingsFrom,
  SERVER_SETTING_KEYS,
  solveParams,
  SOLVE_ACTION_KIND,
  SOLVE_COMMAND,
  summarizeReport,
  type PacoreSettings,
  type SettingName,
} from '../src/protocol';
import { makeWorkspace, PYTHON, SANDBOX, ScriptedModel, Session } from './harness';

const STUB = [
  'def add(a: int, b: int) -> int:',
  '    """Return the sum of a and b."""',
  '    ...',
  '',
  '',
  'def untouched() -> str:',
  '    return "keep me"',
  '',
].join('\n');

const TESTS = [
  'from mathx import add',
  '',
  '',
  'def test_small():',
  '    assert add(2, 3) == 5',
  '',
  '',
  'def test_negative():',
  '    assert add(-4, 1) == -3',
  '',
].join('\n');

const SOLUTION = 'def add(a: int, b: int) -> int:\n    """Return the sum of a and b."""\n    return a + b\n';
const REPLY = `The sum is computed directly.\n\n\`\`\`python\n${SOLUTION}\`\`\`\n`;
const EXPECTED = STUB.replace('    ...\n', '    return a + b\n');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pacore-vscode-scripts-'));

function settingsFor(model: ScriptedModel, extra: Partial<Record<SettingName, unknown>> = {}): PacoreSettings {
  return settingsFrom({
    baseUrl: model.baseUrl,
    model: 'scripted-model',
    preset: 'low',
    sandbox: SANDBOX,
    pythonPath: PYTHON,
    ...extra,
  });
}

describe('VS Code client against the real server', { timeout: 300_000 }, () => {
  let fast: ScriptedModel;
  let slow: ScriptedModel;

  before(async () => {
    fast = await ScriptedModel.start([REPLY], tmp);
    slow = await ScriptedModel.start([{ content: REPLY, latency_s: 60 }], tmp);
  });

  after(() => {
    fast?.stop();
    slow?.stop();
  });

  test('code action, pacore.solve, progress, versioned edit, diagnostic, report', async () => {
    const root = makeWorkspace({ 'mathx.py': STUB, 'tests/test_mathx.py': TESTS });
    const session = await Session.start(root, settingsFor(fast));
    try {
      const caps = session.initializeResult.capabilities as Record<string, unknown>;
      const commands = (caps.executeCommandProvider as { commands: string[] }).commands;
      for (const c of ['pacore.solve', 'pacore.cancel', 'pacore.report', 'pacore.doctor']) {
        assert.ok(commands.includes(c), `server does not advertise ${c}: ${JSON.stringify(commands)}`);
      }
      const doc = session.open('mathx.py');
      const position = { line: 2, character: 6 };
      const actions = (await session.conn.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: doc.uri },
        range: { start: position, end: position },
        context: { diagnostics: [] },
      })) as (Command | CodeAction)[] | null;
      const action = (actions ?? []).find((a) => a.title === 'Solve with PaCoRe') as CodeAction | undefined;
      assert.ok(action, `no "Solve with PaCoRe" action: ${JSON.stringify(actions)}`);
      assert.equal(action.kind, SOLVE_ACTION_KIND);
      const command = findSolveAction(actions);
      assert.ok(command);
      assert.equal(command.command, SOLVE_COMMAND);
      const arg = (command.arguments ?? [])[0] as { uri: string; version?: number };
      const ours = solveParams(doc.uri, position, doc.version).arguments![0] as { uri: string; version: number };
      assert.equal(arg.uri, ours.uri);
      assert.equal(arg.version, ours.version);

      // what VS Code does when the user picks the action: run its command as given
      const started = await session.conn.sendRequest(ExecuteCommandRequest.type, {
        command: command.command,
        arguments: command.arguments,
      });
      assert.ok(isSolveStarted(started), `unexpected solve result ${JSON.stringify(started)}`);
      assert.equal(started.function, 'add');

      // fail fast when the solve ends without an edit (a short grace for the edit itself)
      await session.expect('the edit or the end of the solve', 240_000, () =>
        session.edits[0] ?? session.progress.find((p) => p.kind === 'end'),
      );
      const edit = await session.expect('workspace/applyEdit', 5_000, () => session.edits[0]);
      assert.equal(edit.label, 'PaCoRe: add');
      assert.equal(doc.text, EXPECTED, `applied text:\n${doc.text}\nserver log:\n${session.stderr.slice(-3000)}`);
      assert.ok(edit.edit.documentChanges, 'the client declared documentChanges, so the edit must be versioned');

      const end = await session.expect('progress end', 30_000, () => session.progress.find((p) => p.kind === 'end'));
      const begin = session.progress.find((p) => p.kind === 'begin' && p.token === end.token);
      assert.ok(begin, 'progress ended without beginning');
      assert.ok(begin.cancellable, 'solve progress must be cancellable');
      assert.ok(session.created.map(String).includes(end.token), 'progress token was not created first');

      const diag = await session.expect('the report diagnostic', 30_000, () =>
        session.diagnostics.get(doc.uri)?.diagnostics.find((d) => d.source === 'pacore'),
      );
      assert.equal(diag.severity, 3, 'the report diagnostic is Information');

      const report = await session.conn.sendRequest(ExecuteCommandRequest.type, reportParams(started.solveId));
      assert.ok(isSolveReport(report), `not a report: ${JSON.stringify(report)}`);
      const r = report;
      assert.equal(r.status, 'solved', summarizeReport(report));
      assert.equal(r.function, 'add');
      assert.equal(r.verification.passed, 2);
      assert.equal(r.verification.total, 2);
      assert.match(summarizeReport(report), /add: solved, 2\/2 tests/);

      // the command-palette path: solving again is refused now that the body is real code
      await assert.rejects(
        session.conn.sendRequest(ExecuteCommandRequest.type, solveParams(doc.uri, position, doc.version)),
        /stub|function/i,
      );
    } finally {
      await session.stop();
    }
  });

  test('the progress Cancel button (window/workDoneProgress/cancel) stops the solve', async () => {
    const root = makeWorkspace({ 'mathx.py': STUB, 'tests/test_mathx.py': TESTS });
    const session = await Session.start(root, settingsFor(slow));
    try {
      const doc = session.open('mathx.py');
      const started = await session.conn.sendRequest(
        ExecuteCommandRequest.type,
        solveParams(doc.uri, { line: 0, character: 4 }, doc.version),
      );
      assert.ok(isSolveStarted(started));
      const begin = await session.expect('progress begin', 30_000, () => session.progress.find((p) => p.kind === 'begin'));
      const sentAt = Date.now();
      await session.conn.sendNotification(WorkDoneProgressCancelNotification.type, progressCancelParams(begin.token));
      await session.expect('progress end after cancel', 30_000, () =>
        session.progress.find((p) => p.kind === 'end' && p.token === begin.token),
      );
      assert.ok(Date.now() - sentAt < 30_000);
      assert.equal(session.edits.length, 0, 'a cancelled solve must not edit');
      assert.equal(doc.text, STUB);
      const left = (await session.conn.sendRequest(ExecuteCommandRequest.type, cancelParams())) as { cancelled: string[] };
      assert.deepEqual(left.cancelled, [], 'nothing should still be running');
    } finally {
      await session.stop();
    }
  });

  test('pacore.doctor answers checks; a bad setting is named in a warning', async () => {
    const root = makeWorkspace({ 'mathx.py': STUB });
    const session = await Session.start(root, settingsFor(fast, { preset: 'extreme' }));
    try {
      const warning = await session.expect('a warning naming preset', 20_000, () =>
        session.messages.find((m) => m.type === 2 && m.message.includes('preset')),
      );
      assert.ok(warning);
      const result = await session.conn.sendRequest(ExecuteCommandRequest.type, doctorParams());
      const checks = doctorChecks(result);
      assert.ok(checks.length > 0, `no checks in ${JSON.stringify(result)}`);
      const endpoint = checks.find((c) => /model|endpoint/i.test(c.name));
      assert.ok(endpoint, `no model endpoint check in ${JSON.stringify(checks)}`);
      assert.ok(endpoint.ok, `endpoint check failed against the scripted server: ${JSON.stringify(endpoint)}`);
    } finally {
      await session.stop();
    }
  });
});

describe('start failures', () => {
  test('a missing server is explained with the setting to fix', async () => {
    const cmd = serverCommand(settingsFrom({ serverPath: '/nonexistent/bin/pacore-lsp' }));
    assert.equal(findExecutable(cmd.command), undefined);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      spawn(cmd.command, cmd.args).once('error', resolve);
    });
    const message = describeStartFailure(cmd, error);
    assert.match(message, /was not found/);
    assert.match(message, /pacore\.serverPath/);
    assert.match(message, /pip install pacore-code/);
  });

  test('the interpreter form starts the CLI module, and a Python without it is explained', async () => {
    const cmd = serverCommand(settingsFrom({ pythonPath: PYTHON }));
    assert.deepEqual(cmd.args, ['-m', 'pacore_cli.main', 'lsp']);
    assert.ok(findExecutable(cmd.command), `${PYTHON} is not executable`);
    assert.equal(await checkServerModule(cmd, os.tmpdir()), undefined);

    // an interpreter that cannot import the server (here: one whose imports all fail)
    const broken = { ...cmd, command: '/bin/false', source: 'pacore.pythonPath' as const };
    const message = await checkServerModule(broken, os.tmpdir());
    assert.ok(message);
    assert.match(message, /cannot run the language server/);
    assert.match(message, /pacore\.pythonPath/);
  });
});

describe('settings sent to the server', () => {
  test('only what the user set is sent, as written; empty means unset', () => {
    const section = serverSection(settingsFrom({ requestTimeoutS: 90, solveByAgreement: true, rounds: ' 32,4 ', model: '' }));
    assert.deepEqual(section, { rounds: '32,4', requestTimeoutS: 90, solveByAgreement: true });
    // the server validates: a bad value is passed on so that its warning names the key
    assert.equal(serverSection(settingsFrom({ requestTimeoutS: 'soon' })).requestTimeoutS, 'soon');
    // client-only settings never reach the server
    assert.deepEqual(serverSection(settingsFrom({ previewDiff: true, pythonPath: '/usr/bin/python3' })), {});
  });

  test('every key of the key table is sent, and nothing else', () => {
    const every = Object.fromEntries(SERVER_SETTING_KEYS.map((key) => [key, `value of ${key}`]));
    assert.deepEqual(Object.keys(serverSection(settingsFrom({ ...every, unknownKey: 1 } as never))), [...SERVER_SETTING_KEYS]);
    assert.ok(SERVER_SETTING_KEYS.includes('solveByAgreement'));
  });
});
