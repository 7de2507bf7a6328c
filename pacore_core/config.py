"""The one configuration table: every setting pacore reads, defined and documented once.

Each key is one pydantic field (its `description` is the documentation) in one section:
`ServerSettings` (where the model is, which backends), `RunConfig` (how a run samples and
verifies; the engine's input, also stored in run records) or `EditorSettings` (language
server only), plus `preset` on `Settings`. From the field name `key` the table derives the
other names: environment variable `PACORE_KEY`, editor setting `pacore.camelKey`, and, when
the field is marked with `cli(...)`, a command-line flag. Adding a setting is one field with
a description; `pacore_core.config_loader` layers it (defaults < `[tool.pacore]` <
environment < editor settings or flags) with no further change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sandbox.models import Limits

PresetName = Literal["low", "medium", "high"]
PRESETS: dict[str, list[int]] = {"low": [4], "medium": [16], "high": [32, 4]}
SandboxKind = Literal["docker", "local", "ray"]
BackendKind = Literal["openai", "vllm", "replay"]
Selection = Literal["verified", "synthesis"]
MAX_WIDTH = 256
"""Default ceiling on one round's width: a width is one request with n=K, and above a few
hundred trajectories the server queues for hours; raise `max_width` to go beyond."""


def cli(flag: str | None = None, *, metavar: str | None = None, env: str | None = None,
        env_deprecated: tuple[str, ...] = (), const: str | None = None,
        comma_text: bool = False) -> JsonDict:
    """Field extras naming how a key is spelled outside `[tool.pacore]`.

    `cli()` gives the key the flag `--kebab-key` (or `flag`); `env` overrides the variable
    name and `env_deprecated` lists old names still read with a warning; `const` is the
    value of the flag given without one (`--agreement` = `--agreement on`); `comma_text`
    makes a list's editor setting comma-separated text, as its flag is (`"32,4"`).
    """
    extra: JsonDict = {"flag": flag or True}
    if comma_text:
        extra["comma_text"] = True
    if metavar:
        extra["metavar"] = metavar
    if const:
        extra["const"] = const
    if env:
        extra["env"] = env
    if env_deprecated:
        extra["env_deprecated"] = list(env_deprecated)
    return {"pacore": extra}


Agreement = Literal["auto", "on", "off"]
BOOL_WORDS = {"true": "on", "1": "on", "yes": "on", "false": "off", "0": "off", "no": "off"}


def parse_rounds(value: Any) -> list[int]:
    """`"32,4"`, `4`, `[32, 4]` -> widths. The final K=1 round is not part of this list.

    An empty list is a single sample (bench's `single` strategy); empty text is refused, since
    it is almost always a mistake (`--rounds ""`, `--rounds ,`).
    """
    if isinstance(value, bool | float):
        raise ValueError(f"must be whole numbers such as 4 or '32,4', not a {type(value).__name__}")
    if isinstance(value, int):
        parts: list[Any] = [value]
    elif isinstance(value, str):
        if not value.strip(" ,"):
            raise ValueError("is empty: give widths such as '32,4', or use a preset")
        parts = [p.strip() for p in value.split(",")]
        if any(p == "" for p in parts):
            raise ValueError("has an empty width: give widths such as '32,4'")
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValueError(f"must be widths such as '32,4' or [32, 4], not a {type(value).__name__}")
    widths: list[int] = []
    for p in parts:
        if isinstance(p, bool | float):
            raise ValueError(f"must be whole numbers such as '32,4', not {p!r}")
        try:
            k = int(p)
        except (TypeError, ValueError):
            raise ValueError("must be comma-separated positive integers such as '32,4'") from None
        if k < 1:
            raise ValueError("must be positive integers such as '32,4' (each width is at least 1)")
        widths.append(k)
    return widths


def _csv(v: Any) -> Any:
    """Text lists (`"a,b"`) as lists: how environment variables and flags carry them."""
    if isinstance(v, str):
        return [p.strip() for p in v.split(",") if p.strip()]
    return v


class ServerSettings(BaseModel):
    """Where the model is and which backends to use."""

    base_url: list[str] = Field(
        default_factory=list, json_schema_extra=cli(metavar="URL", comma_text=True),
        description="OpenAI-compatible endpoint, e.g. `http://127.0.0.1:8000/v1`; several "
        "separated by commas")
    model: str | None = Field(
        default=None, json_schema_extra=cli(metavar="NAME"),
        description="model name as served (`GET /v1/models`); default: the endpoint's only model")
    api_key: str | None = Field(
        default=None, description="bearer token for the endpoint, if it needs one; prefer the "
        "variable over a file")
    backend: BackendKind = Field(
        default="openai", json_schema_extra=cli(),
        description="`openai` (an HTTP server such as `vllm serve`), `vllm` (in-process engine) "
        "or `replay`")
    replay: Path | None = Field(
        default=None, json_schema_extra=cli(metavar="FILE"),
        description="replay completions from a run record (or a directory of records) instead "
        "of asking a model")
    vllm_args: dict[str, Any] = Field(
        default_factory=dict,
        description="extra `vllm.LLM` engine arguments for the in-process backend, e.g. "
        "`{ dtype = \"float32\" }`")
    sandbox: SandboxKind = Field(
        default="docker", json_schema_extra=cli(),
        description="where candidates run: `docker` (isolated container), `local` "
        "(subprocesses, no isolation) or `ray` (every Ray node's Docker sandbox)")
    sandbox_runtime: str | None = Field(
        default=None, json_schema_extra=cli("--runtime", metavar="RUNTIME"),
        description="container runtime for the docker sandbox, e.g. `runsc` (gVisor); default "
        "the engine's (`runc`)")
    ray_address: str | None = Field(
        default=None, json_schema_extra=cli(metavar="ADDRESS"),
        description="Ray cluster for `sandbox = \"ray\"` and `bench --ray`: `auto` (the one "
        "running here), `HOST:PORT` or `ray://HOST:10001`; default: start a local Ray")
    image: str | None = Field(
        default=None, json_schema_extra=cli(metavar="IMAGE", env="PACORE_SANDBOX_IMAGE",
                            env_deprecated=("PACORE_IMAGE",)),
        description="sandbox image; default `pacore-sandbox:latest`")

    @field_validator("base_url", mode="before")
    @classmethod
    def _urls(cls, v: Any) -> Any:
        v = _csv(v)
        if isinstance(v, list):
            for url in v:
                if isinstance(url, str) and not url.startswith(("http://", "https://")):
                    raise ValueError(f"{url!r} must start with http:// or https://")
            return [u.rstrip("/") if isinstance(u, str) else u for u in v]
        return v

    @property
    def endpoint(self) -> str | None:
        """The first endpoint: the one a single-server backend or check talks to."""
        return self.base_url[0] if self.base_url else None


class RunConfig(BaseModel):
    """How one PaCoRe run samples, verifies and compacts."""

    rounds: list[int] = Field(
        default_factory=lambda: list(PRESETS["low"]),
        json_schema_extra=cli(metavar="K1,K2", comma_text=True),
        description="explicit widths, e.g. `32,4` (a final round of 1 is added); wins over "
        "`preset`")
    max_width: int = Field(
        default=MAX_WIDTH, ge=1,
        description="largest width a round may have (each width is one request with n=K); "
        "raise it deliberately for very wide runs")
    temperature: float = Field(default=1.0, ge=0.0, le=2.0, description="sampling temperature")
    top_p: float = Field(default=0.95, gt=0.0, le=1.0, description="nucleus sampling")
    max_tokens: int = Field(default=4096, ge=1, description="tokens per trajectory at most")
    seed: int | None = Field(default=0, description="base sampling seed; none for random")
    context_window: int | None = Field(
        default=None, ge=1,
        description="model context in tokens; default: read from the server's `/v1/models`")
    request_timeout_s: float = Field(
        default=1800.0, gt=0, json_schema_extra=cli("--timeout", metavar="S"),
        description="seconds one model request may take in all (a 32k-token reasoning answer "
        "at 20 tokens/s streams for about 27 minutes)")
    first_token_timeout_s: float = Field(
        default=60.0, gt=0,
        description="streaming: seconds to wait for the first token, and between chunks, "
        "before the request counts as unanswered and is retried")
    max_retries: int = Field(default=4, ge=0, description="retries of a failed model request")
    max_concurrency: int = Field(default=16, ge=1, description="model requests in flight at most")
    use_n: bool = Field(default=True, description="ask for K samples in one request (`n=K`)")
    stream: bool = Field(
        default=True, description="stream completions (SSE): a silent server is noticed after "
        "`first_token_timeout_s`, and candidates are verified as each one finishes")
    selection: Selection = Field(
        default="verified", json_schema_extra=cli(),
        description="`verified`: a passing program from any round; `synthesis`: the paper's "
        "final answer as is")
    select_on: Literal["all", "public"] = Field(
        default="all", description="tests that choose the answer; benchmarks use public only")
    early_stop: bool = Field(default=False, json_schema_extra=cli(),
                             description="stop once a candidate passes every test")
    agreement: Agreement = Field(
        default="auto", json_schema_extra=cli(const="on"),
        description="execution agreement: run every candidate on generated inputs; among "
        "candidates passing the same tests prefer the one most others agree with, and show "
        "disagreements to the next round. `auto`: when the tests that choose are examples or "
        "samples (a docstring's, a statement's); `on`: always (also solves with no tests); `off`")
    agreement_inputs: int = Field(
        default=24, ge=0, le=200, description="agreement: inputs drawn from the type hints")
    agreement_model_inputs: int = Field(
        default=8, ge=0, le=100,
        description="agreement: inputs the model is asked to write (inputs only, never outputs)")
    oracle: Agreement = Field(
        default="auto", json_schema_extra=cli(const="on"),
        description="oracle tests: a brute force's outputs on generated inputs (`pacore solve "
        "--brute FILE --gen FILE`, or the model's) judge every candidate after the user's tests, "
        "and where a candidate disagrees its message shows the input and both outputs (a stub's: "
        "a `<stub>_brute` function beside it, or the model's). `auto`: when a brute force is "
        "given, or when only weak tests choose (a statement's samples, a stub's doctests) and "
        "the model's oracle passes them; `on`: the given brute force, else the model's; `off`: none")
    oracle_inputs: int = Field(
        default=50, ge=1, le=2000, description="oracle: generated inputs run through the brute force")
    include_verdicts: bool = Field(
        default=True, description="show each reference's test verdict in the synthesis prompt")
    template: Path | None = Field(
        default=None, description="synthesis prompt template (jinja2) replacing the built-in one")
    template_dir: Path | None = Field(
        default=None,
        description="directory of prompt templates overriding the bundled ones by file name "
        "(`function.j2`, `function_from_tests.j2`, `io.j2`, `workspace_function.j2`, "
        "`synthesis.j2`, `synthesis_code.j2`, `synthesis_code_agreement.j2`)")
    sandbox_parallelism: int | None = Field(
        default=None, ge=1, description="candidates verified at once; default: the CPU count")
    limits: Limits = Field(
        default_factory=Limits,
        description="per-candidate limits (`timeout_s`, `memory_mb`, `output_kb`, `pids`, ...)")
    max_error_chars: int = Field(
        default=600, ge=80, description="characters of a failing test's output shown to the model")

    @field_validator("rounds", mode="before")
    @classmethod
    def _rounds(cls, v: Any) -> list[int]:
        return parse_rounds(v)

    @field_validator("agreement", mode="before")
    @classmethod
    def _agreement(cls, v: Any) -> Any:
        """Booleans (the key's former type, an editor checkbox, `PACORE_AGREEMENT=1`) still work."""
        if isinstance(v, bool):
            return "on" if v else "off"
        if isinstance(v, str) and v.strip().lower() in BOOL_WORDS:
            return BOOL_WORDS[v.strip().lower()]
        return v

    @model_validator(mode="after")
    def _width_ceiling(self) -> RunConfig:
        wide = [k for k in self.rounds if k > self.max_width]
        if wide:
            raise ValueError(
                f"rounds: width {wide[0]} is above max_width {self.max_width} (one request would "
                f"ask for n={wide[0]} completions); use several narrower rounds, or raise "
                "max_width deliberately")
        return self

    @property
    def widths(self) -> list[int]:
        """K_1..K_R: the configured widths with the final K=1 round appended."""
        return [*self.rounds, 1]


class EditorSettings(BaseModel):
    """What only the language server reads."""

    test_paths: list[str] = Field(
        default_factory=list, description="extra test files or pytest node ids")
    allow_weak_tests: bool = Field(
        default=False, description="solve on doctests / model-written tests when none are found")
    solve_by_agreement: bool = Field(
        default=False,
        description="solve a stub with no tests by agreement among candidates on generated "
        "inputs instead of refusing (the report says `agreement only (no tests)`)")
    keep_docstring: bool = Field(
        default=True, description="keep the docstring when replacing the stub")
    context_budget: int = Field(
        default=6000, ge=200, description="characters of the surrounding module shown to the model")
    project_include: list[str] = Field(
        default_factory=list,
        description="secret-looking workspace paths (`.env*`, `*.pem`, `*.key`, `id_*`, `.netrc`, "
        "credential folders) to copy into the sandbox anyway; none by default")

    @field_validator("test_paths", "project_include", mode="before")
    @classmethod
    def _paths(cls, v: Any) -> Any:
        return _csv(v)


class Settings(BaseSettings):
    """Everything one front end resolved: built by `config_loader.load_config`, never from
    `os.environ` implicitly (the loader is handed the environment, so tests inject it)."""

    model_config = SettingsConfigDict(extra="forbid")

    preset: PresetName = Field(
        default="low", json_schema_extra=cli(),
        description="`low` = [4], `medium` = [16], `high` = [32, 4]; a final round of 1 is "
        "always added")
    server: ServerSettings = Field(default_factory=lambda: ServerSettings())
    run: RunConfig = Field(default_factory=lambda: RunConfig())
    editor: EditorSettings = Field(default_factory=lambda: EditorSettings())

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


# ---------------------------------------------------------------- the key table

SECTIONS: dict[str, type[BaseModel]] = {
    "server": ServerSettings, "run": RunConfig, "editor": EditorSettings,
}


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@dataclass(frozen=True)
class KeySpec:
    """One setting and its name in every place a user can set it."""

    key: str
    section: str  # "" for keys on Settings itself
    field: FieldInfo
    env: str
    env_deprecated: tuple[str, ...]
    editor: str
    flag: str | None
    metavar: str | None
    const: str | None = None

    @property
    def description(self) -> str:
        return self.field.description or ""

    @property
    def model(self) -> type[BaseModel]:
        return SECTIONS[self.section] if self.section else Settings

    def default(self) -> Any:
        return self.field.get_default(call_default_factory=True)


def _spec(key: str, section: str, field: FieldInfo) -> KeySpec:
    extra = field.json_schema_extra
    found = extra.get("pacore") if isinstance(extra, dict) else None
    names: dict[str, Any] = found if isinstance(found, dict) else {}
    flag = names.get("flag")
    return KeySpec(
        key=key, section=section, field=field,
        env=names.get("env") or f"PACORE_{key.upper()}",
        env_deprecated=tuple(names.get("env_deprecated", ())),
        editor=camel(key),
        flag=(flag if isinstance(flag, str) else "--" + key.replace("_", "-")) if flag else None,
        metavar=names.get("metavar"),
        const=names.get("const"),
    )


def _table() -> dict[str, KeySpec]:
    table = {"preset": _spec("preset", "", Settings.model_fields["preset"])}
    for section, model in SECTIONS.items():
        for name, field in model.model_fields.items():
            if name in table:
                raise RuntimeError(f"configuration key {name!r} is defined twice")
            table[name] = _spec(name, section, field)
    return table


KEYS: dict[str, KeySpec] = _table()
"""Every configuration key, in documentation order."""
BY_EDITOR_NAME: dict[str, str] = {spec.editor: key for key, spec in KEYS.items()}


def cli_flag(key: str) -> str:
    """How the command line sets `key`: its flag, else its environment variable."""
    spec = KEYS.get(key)
    if spec is None:
        return key
    return spec.flag or spec.env


def editor_setting(key: str) -> str:
    """How an editor sets `key`: `pacore.camelKey`."""
    spec = KEYS.get(key)
    return f"pacore.{spec.editor}" if spec else f"pacore.{camel(key)}"


def markdown_table() -> str:
    """The README's configuration table, generated from the key table."""
    rows = ["| `[tool.pacore]` key | variable | editor (`pacore.`) | flag | default | meaning |",
            "| --- | --- | --- | --- | --- | --- |"]
    for spec in KEYS.values():
        default = spec.default()
        if spec.key == "rounds":
            shown = "the preset's"
        elif isinstance(default, BaseModel):
            shown = "see meaning"
        elif default in (None, [], {}):
            shown = "none"
        else:
            shown = f"`{default}`"
        flag = f"`{spec.flag}`" if spec.flag else ""
        env = f"`{spec.env}`"
        rows.append(f"| `{spec.key}` | {env} | `{spec.editor}` | {flag} | {shown} | "
                    f"{spec.description} |")
    return "\n".join(rows)
