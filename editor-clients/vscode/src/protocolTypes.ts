/**
 * Types of the results the PaCoRe language server sends, generated from its pydantic models
 * by scripts/gen_protocol_ts.py. Do not edit: change the models and run
 * `.venv/bin/python scripts/gen_protocol_ts.py` (tests/lsp/test_protocol_types.py checks it).
 * Every field is always present in what the server sends.
 */

/** What `pacore.cancel` returns once the cancelled solves have finished. */
export interface CancelResult {
  cancelled: string[];
}

/** One health check: what was found and, when it failed, how to fix it. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  message: string;
  fix: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
}

export interface ReportRound {
  round: number;
  /** the width of the round */
  k: number;
  /** trajectories that came back */
  trajectories: number;
}

export interface ReportSelected {
  source: 'final' | 'candidate' | 'none';
  round: number | null;
  index: number | null;
  reason: string;
}

/** How the returned code fared, and on which tests. */
export interface ReportVerification {
  /** the sandbox verdict, `not_run` when nothing was verified */
  verdict: 'passed' | 'failed' | 'presentation_error' | 'error' | 'timeout' | 'memory_limit' | 'output_limit' | 'idleness_limit' | 'compile_error' | 'sandbox_error' | 'judge_error' | 'skipped' | 'tampered' | 'no_code' | 'no_tests' | 'not_run';
  /** the verdict as a judge names it (`accepted`, `wrong answer`, `time limit`, `compilation error`, ...) */
  judge: string;
  passed: number;
  total: number;
  /** which tests judged it, e.g. `3 workspace test(s)` */
  tests: string;
}

/** One run of `pacore.runs`, newest first. */
export interface RunEntry {
  solveId: string;
  function: string;
  state: string;
  started: string;
}

/** What `pacore.runPage` returns. */
export interface RunPage {
  solveId: string;
  function: string;
  /** `running`, `finished` or `interrupted` */
  state: string;
  /** changes whenever the run does; send it back as `since` */
  version: number;
  /** the self-contained page; null when unchanged since `since` */
  html: string | null;
  /** where the page was written, with `write` */
  path: string | null;
}

/** What `pacore.report` returns for one solve (field names are the wire names). */
export interface SolveReport {
  solveId: string;
  status: 'solved' | 'unsolved' | 'error' | 'cancelled';
  /** qualified name of the solved function */
  function: string;
  uri: string;
  verification: ReportVerification;
  /** doctests or model-written tests only */
  weak_verification: boolean;
  /** how far to trust the code, e.g. `passed your tests`, `passed samples + agreed with 6/8 candidates on 40 generated inputs`, `agreement only (no tests): ...`; empty when nothing was chosen */
  assurance: string;
  /** a pytest module pinning the agreed input/output pairs (offered by the code action that writes it next to the code) */
  agreed_tests: string | null;
  rounds: ReportRound[];
  /** effective test-time compute: tokens over all trajectories */
  ttc_tokens: number;
  selected: ReportSelected | null;
  code: string | null;
  /** where the result went */
  applied: 'edit' | 'separate_document' | 'none';
  detail: string;
  error: string | null;
  wall_s: number;
}

/** What `pacore.solve` returns at once: the job it started. */
export interface SolveStarted {
  solveId: string;
  function: string;
}
