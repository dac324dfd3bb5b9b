"""Backends by name: in-process registration and third-party entry points (``gpla.chat_backends``).
The backends here are plumbing only (they echo), since what is tested is how a spec finds them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from gpla.config import parse_config
from gpla.config_check import check_run_config
from gpla.errors import ConfigError
from gpla.models import ChatRequest, ChatResult, register_chat_backend
from gpla.models.backend import Backend, LabelProbs, Outcome
from gpla.models.backend_registry import chat_backends, forget_discovered_backends
from gpla.models.registry import load_chat_model, parse_spec
from gpla.models.wrapper import CachedModel


class FakeEchoBackend(Backend):
    """Plumbing only: answers each prompt with itself reversed."""

    kind = "fakeecho"

    def __init__(self, model: str, base_url: str | None = None, prefix: str = "") -> None:
        super().__init__()
        self.model, self.prefix, self.calls = model, prefix, 0

    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]:
        self.calls += len(requests)
        return [ChatResult(self.prefix + r.prompt_text[::-1], 1, 1) for r in requests]

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        raise NotImplementedError("plumbing backend")


# The module a third party would ship; written into tmp_path with its *.dist-info.
PLUGIN_MODULE = """
from gpla.models.backend import Backend
from gpla.models.base import ChatResult


class EchoBackend(Backend):
    kind = "echo"

    def __init__(self, model, base_url=None):
        super().__init__()
        self.model = model

    def generate(self, requests):
        return [ChatResult("echo:" + r.prompt_text, 1, 1) for r in requests]

    def label_probs(self, prompts, labels, protocol="gpv"):
        raise NotImplementedError
"""


@pytest.fixture
def clean_registry() -> Iterator[None]:
    before = dict(chat_backends.targets)
    forget_discovered_backends()
    yield
    chat_backends.targets.clear()
    chat_backends.targets.update(before)
    forget_discovered_backends()


def _install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, dist: str) -> None:
    info = tmp_path / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[gpla.chat_backends]\n{entry}\n")
    pkg = tmp_path / "mypkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(PLUGIN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    forget_discovered_backends()


def test_a_registered_backend_loads_by_spec_behind_the_shared_wrapper(
    clean_registry: None, tmp_path: Path
) -> None:
    register_chat_backend("fakeecho", FakeEchoBackend)
    model = load_chat_model("fakeecho:any", cache=str(tmp_path / "c.sqlite"), prefix=">")
    assert isinstance(model, CachedModel)
    assert model.name == "fakeecho:any"
    requests = [ChatRequest.completion("abc"), ChatRequest.completion("abc")]
    assert [r.text for r in model.generate(requests)] == [">cba", ">cba"]
    assert model.generate([ChatRequest.completion("abc")])[0].cached  # the cache is in front
    assert isinstance(model.backend, FakeEchoBackend) and model.backend.calls == 1
    with pytest.raises(ConfigError, match="unsupported option"):
        load_chat_model("fakeecho:any", cache=False, temprature=1)
    with pytest.raises(ConfigError, match="already registered"):
        register_chat_backend("openai", FakeEchoBackend)
    # A "module:Class" string is imported only when used, like the built-ins.
    register_chat_backend("fakeecho2", f"{__name__}:FakeEchoBackend")
    assert (
        load_chat_model("fakeecho2:m", cache=False).generate([ChatRequest.completion("xy")])[0].text
        == "yx"
    )


def test_an_entry_point_backend_is_discovered_by_its_kind(
    clean_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_plugin(tmp_path, monkeypatch, "echo = mypkg.mod:EchoBackend", "gpla_echo_plugin")
    assert "echo" in chat_backends.kinds()
    model = load_chat_model("echo:anything", cache=False)
    assert model.name == "echo:anything"
    assert model.generate([ChatRequest.completion("hi")])[0].text == "echo:hi"
    # The pre-run config check accepts the discovered kind too.
    (tmp_path / "lex.csv").write_text("value\nHonesty\n")
    lexicon = {"file": str(tmp_path / "lex.csv")}
    check_run_config(parse_config({"lexicon": lexicon, "models": {"agent": "echo:anything"}}))
    with pytest.raises(ConfigError, match=r"models\.agent"):
        check_run_config(parse_config({"lexicon": lexicon, "models": {"agent": "nosuch:x"}}))


def test_an_unknown_kind_lists_every_known_kind_in_one_line(
    clean_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_plugin(tmp_path, monkeypatch, "echo = mypkg.mod:EchoBackend", "gpla_echo_plugin")
    with pytest.raises(ConfigError) as exc:
        parse_spec("nosuchkind:x")
    message = str(exc.value)
    assert "\n" not in message
    for kind in ("llamacpp", "openai", "hf", "echo"):
        assert kind in message


def test_a_broken_entry_point_names_itself_and_its_distribution(
    clean_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_plugin(tmp_path, monkeypatch, "broken = mypkg.missing:Nothing", "gpla_broken_plugin")
    with pytest.raises(ConfigError) as exc:
        load_chat_model("broken:x", cache=False)
    message = str(exc.value)
    assert "\n" not in message
    assert "mypkg.missing:Nothing" in message and "gpla_broken_plugin" in message
    assert "ModuleNotFoundError" in message
