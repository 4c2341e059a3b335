"""Every exception class of guanxi survives a pickle round trip (errors raised in a
worker cross a process pipe; ``TabularError`` used to arrive as "__init__() missing 1
required positional argument")."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from typing import Any

import pytest
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist

import guanxi

SAMPLES: dict[str, Any] = {
    "errors": {"name": ["必填。"]},
    "params": {"value": "x"},
    "row": 3,
}


def _exception_classes() -> list[type[BaseException]]:
    for module in pkgutil.walk_packages(guanxi.__path__, "guanxi."):
        if (
            ".tests" in module.name
            or ".migrations" in module.name
            or "browser_tests" in module.name
        ):
            continue
        try:
            importlib.import_module(module.name)
        except Exception:  # noqa: S112  (a module that needs what a test run lacks)
            continue
    found: set[type[BaseException]] = set()
    stack: list[type[BaseException]] = [BaseException]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if (
                sub.__module__.startswith("guanxi.")
                and ".tests" not in sub.__module__
                # Django's per-model DoesNotExist/MultipleObjectsReturned: Django's own
                and not issubclass(sub, ObjectDoesNotExist | MultipleObjectsReturned)
            ):
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _instance(cls: type[BaseException]) -> BaseException:
    args, kwargs = [], {}
    for name, param in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = SAMPLES.get(name, f"{name} 值")
        if param.kind == param.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


CLASSES = _exception_classes()


def test_the_discovery_finds_the_errors_that_cross_the_pipe():
    names = {c.__name__ for c in CLASSES}
    assert {"TabularError", "XlsxError", "CleaningError", "ValidationFailed", "NotFound"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_pickle_round_trip(cls):
    error = _instance(cls)

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)

    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)
