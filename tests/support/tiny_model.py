"""A tiny random-weight Llama model and tokenizer, built locally for real-vLLM tests.

No weights can be downloaded, so tests make their own model: a byte-level BPE tokenizer
trained on the standard library's source, wrapped with a chat template, and a
`LlamaForCausalLM` with a tiny random config (hidden 128, 2 layers, 2 heads of head_dim
64: head_dim 16 is unsupported by vLLM's CPU attention). The output is random text,
which is what tests of plumbing, token accounting and context budgets need.

The model is built once into a cache directory keyed by its recipe and reused by every
test (and every later session); building takes a few seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

VOCAB_SIZE = 1024
HIDDEN = 128
LAYERS = 2
HEADS = 2
HEAD_DIM = 64
MAX_POSITIONS = 4096
SEED = 0
CORPUS_FILES = 300
CORPUS_BYTES = 4_000_000

BOS = "<|bos|>"
EOS = "<|end|>"
PAD = "<|pad|>"
SPECIAL_TOKENS = [PAD, BOS, EOS, "<|system|>", "<|user|>", "<|assistant|>"]

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

_RECIPE = {
    "version": 1,
    "vocab": VOCAB_SIZE,
    "hidden": HIDDEN,
    "layers": LAYERS,
    "heads": HEADS,
    "head_dim": HEAD_DIM,
    "positions": MAX_POSITIONS,
    "seed": SEED,
    "corpus_files": CORPUS_FILES,
    "corpus_bytes": CORPUS_BYTES,
    "special": SPECIAL_TOKENS,
    "template": CHAT_TEMPLATE,
}


def default_cache_dir() -> Path:
    """`PACORE_TEST_CACHE` if set, else the user's cache directory."""
    env = os.environ.get("PACORE_TEST_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pacore-code-tests"


def recipe_key() -> str:
    """Hash of everything that determines the model, so a changed recipe rebuilds."""
    blob = json.dumps(_RECIPE, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _corpus() -> Iterator[str]:
    """The standard library's .py files, in a fixed order, up to a byte budget."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if p.is_file())[:CORPUS_FILES]
    budget = CORPUS_BYTES
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text = text[:budget]
        budget -= len(text)
        yield text
        if budget <= 0:
            return


def _build_tokenizer(out: Path) -> int:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        model_max_length=MAX_POSITIONS,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(out))
    return len(fast)


def _build_model(out: Path, vocab: int) -> None:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(SEED)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=HIDDEN,
        intermediate_size=2 * HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=HEADS,
        head_dim=HEAD_DIM,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=SPECIAL_TOKENS.index(BOS),
        eos_token_id=SPECIAL_TOKENS.index(EOS),
        pad_token_id=SPECIAL_TOKENS.index(PAD),
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)  # float32: torch's default dtype
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    model.save_pretrained(str(out), safe_serialization=True)


def build_tiny_model(cache_dir: Path | None = None) -> Path:
    """Return the directory of the tiny model, building it first if it is not cached.

    Safe to call from several processes at once: a lock file serialises builders and
    the finished directory appears atomically.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"tiny-llama-{recipe_key()}"
    if (target / "config.json").is_file():
        return target
    with open(root / ".tiny-model.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "config.json").is_file():
            return target
        work = Path(tempfile.mkdtemp(prefix=".tiny-build-", dir=root))
        try:
            vocab = _build_tokenizer(work)
            _build_model(work, vocab)
            (work / "pacore-recipe.json").write_text(json.dumps(_RECIPE, indent=1))
            work.chmod(0o755)
            work.rename(target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return target


class TinyModel:
    """Pytest-friendly handle: `TinyModel.get(tmp_path_factory)` in a session fixture."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def get(cls, cache_dir: Path | None = None) -> TinyModel:
        return cls(build_tiny_model(cache_dir))

    @property
    def name(self) -> str:
        """The model name vLLM serves it under (its path)."""
        return str(self.path)


if __name__ == "__main__":
    print(build_tiny_model())
