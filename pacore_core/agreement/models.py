"""Typed records of execution agreement: the generated inputs, what each candidate did on
them, and the clusters of candidates that behaved alike. All serialisable, so a run record
carries them and a replay reuses the inputs without asking a model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

InputSource = Literal["hypothesis", "model"]
OutcomeKind = Literal["value", "error", "timeout", "crash"]


class ProbeInput(BaseModel):
    """One generated input: an argument tuple (as a Python literal) or a stdin text."""

    name: str
    source: InputSource
    args: str | None = None  # function problems: the literal of the argument tuple
    stdin: str | None = None  # stdin/stdout problems

    def shown(self, entry_point: str | None, limit: int = 160) -> str:
        """How the input reads in a message: a call, or the stdin text."""
        if self.args is not None:
            inner = self.args[1:-1].rstrip(",") if self.args.startswith("(") else self.args
            text = f"{entry_point or 'f'}({inner})"
        else:
            text = (self.stdin or "").rstrip("\n").replace("\n", "\\n")
        return text if len(text) <= limit else text[: limit - 15] + f"... ({len(text)} chars)"


class Outcome(BaseModel):
    """What one candidate did on one input."""

    kind: OutcomeKind
    text: str = ""  # the returned value / output (trimmed), or the exception type
    digest: str = ""  # of the whole value, so long outputs compare exactly

    @property
    def key(self) -> str:
        """The part of the behaviour signature this outcome contributes."""
        if self.kind == "value":
            return f"value:{self.digest}"
        if self.kind == "error":
            return f"error:{self.text}"
        return self.kind

    def describe(self) -> str:
        if self.kind == "value":
            return f"returned {self.text}"
        if self.kind == "error":
            return f"raised {self.text}"
        if self.kind == "timeout":
            return "timed out"
        return f"crashed ({self.text})" if self.text else "crashed"


class Behaviour(BaseModel):
    """A candidate's outcomes by input name (inputs that were not run are absent)."""

    outcomes: dict[str, Outcome] = Field(default_factory=dict)
    duration_s: float = 0.0


class InputSet(BaseModel):
    """The inputs of one problem, with why others were rejected and what generating cost."""

    inputs: list[ProbeInput] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    seed: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    replayed: bool = False


class ClusterRecord(BaseModel):
    """Candidates (by "round:index") with one behaviour signature."""

    members: list[str]
    score: float  # CodeT: cluster size x inputs on which the cluster returned a value
    values: int  # inputs on which this behaviour is a returned value (not an error)


class AgreementRecord(BaseModel):
    """Everything agreement did in a run, for the report and for replay."""

    inputs: list[ProbeInput] = Field(default_factory=list)
    dropped: dict[str, str] = Field(default_factory=dict)  # input name -> why it was dropped
    notes: list[str] = Field(default_factory=list)
    clusters: list[ClusterRecord] = Field(default_factory=list)
    completion_tokens: int = 0
    prompt_tokens: int = 0
    probe_s: float = 0.0  # sandbox time of running candidates on the inputs
    decided_by: Literal["tests", "agreement", "none"] = "none"
    chosen_cluster: int | None = None  # index into clusters
    candidates: int = 0  # candidates with a behaviour
    agreed: Behaviour | None = None  # the chosen cluster's behaviour: the pairs a user can keep

    @property
    def used_inputs(self) -> int:
        return len([i for i in self.inputs if i.name not in self.dropped])
