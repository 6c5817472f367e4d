"""The package's layout: old module paths forward to the new ones, and the
private-name contract finds what it is meant to find."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pytest

from simulator.moved import MOVED_MODULES
from tools.import_contracts import private_imports


@pytest.mark.parametrize("old", sorted(MOVED_MODULES))
def test_an_old_module_path_forwards_to_the_new_one_and_warns(
    old: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, old, raising=False)
    new = importlib.import_module(MOVED_MODULES[old])
    with pytest.warns(DeprecationWarning, match=MOVED_MODULES[old].replace(".", r"\.")):
        forwarded = importlib.import_module(old)
    public = [n for n in vars(new) if not n.startswith("_")]
    assert public, f"{MOVED_MODULES[old]} has no public names"
    for name in public:
        assert getattr(forwarded, name) is getattr(new, name)


def test_the_catalogue_names_of_the_old_metrics_module_still_import() -> None:
    from simulator import catalog

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from simulator.metrics import HEADLINE_METRICS  # type: ignore[import-not-found]
    assert HEADLINE_METRICS is catalog.HEADLINE_METRICS


def test_a_name_that_never_existed_is_still_an_attribute_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("simulator.study")
    with pytest.raises(AttributeError):
        _ = old.no_such_name


def test_the_private_name_contract_finds_private_imports_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "layoutcheck"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def _hidden() -> None: ...\n__version__ = '1'\n")
    (package / "b.py").write_text(
        "from layoutcheck.a import _hidden\n"
        "from layoutcheck.a import __version__\n"
        "from os.path import join as _join\n"
        "from layoutcheck import a\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = private_imports("layoutcheck.b", {"layoutcheck"})
    assert found == [(1, "from layoutcheck.a import _hidden")]
    assert private_imports("layoutcheck.a", {"layoutcheck"}) == []
