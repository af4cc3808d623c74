"""Scene settings: defaults, a TOML file beside the scene, ``PYNEURON_<NAME>``
environment variables -- each value checked before anything renders.

A bad value is a :class:`SettingsError` naming the setting, where the
value came from, the value, and what is allowed; :func:`settings_or_exit`
turns it into one line on stderr and exit status 2, which is how scenes
run by ``manim`` report it (no traceback).
"""
from __future__ import annotations

import math
import os
import sys
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["SettingsError", "Rule", "load_settings", "settings_or_exit", "positive", "non_negative", "one_of",
           "each", "interval", "expression", "layer_sizes", "count_between"]


class SettingsError(ValueError):
    """A setting that is unknown, unreadable or out of range (the message says which)."""


class Rule:
    """What a setting allows: ``check(value)`` is true for allowed values,
    ``allowed`` says in words what they are."""

    def __init__(self, check: Callable[[Any], bool], allowed: str):
        self.check, self.allowed = check, allowed

    def problem(self, key: str, value: Any) -> str:
        """What is wrong with a value check() refused."""
        return f"{key} must be {self.allowed}"


class _Each(Rule):
    """A list of ``at_least`` to ``at_most`` items, each following ``item``."""

    def __init__(self, item: Rule, at_least: int, at_most: int | None):
        size = (f"{at_least}" if at_most == at_least else f"{at_least} to {at_most}" if at_most is not None
                else f"at least {at_least}")
        self.item, self.at_least, self.at_most = item, at_least, at_most
        super().__init__(lambda v: isinstance(v, list) and at_least <= len(v) <= (at_most or len(v))
                         and all(item.check(x) for x in v), f"a list of {size} items, each {item.allowed}")

    def problem(self, key: str, value: Any) -> str:
        bad = [x for x in value if not self.item.check(x)] if isinstance(value, list) else []
        if bad and self.at_least <= len(value) <= (self.at_most or len(value)):
            return f"{key}: {bad[0]!r} is not {self.item.allowed}"
        return super().problem(key, value)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _of_kind(v, kind: type) -> bool:
    """An int (for kind int), or a finite int or float (for kind float)."""
    if isinstance(v, bool):
        return False
    return isinstance(v, int) if kind is int else _number(v) and math.isfinite(v)


def positive(kind: type = int) -> Rule:
    return Rule(lambda v: _of_kind(v, kind) and v > 0, f"a positive {'integer' if kind is int else 'number'}")


def non_negative(kind: type = int) -> Rule:
    return Rule(lambda v: _of_kind(v, kind) and v >= 0, f"a non-negative {'integer' if kind is int else 'number'}")


def one_of(*names: str) -> Rule:
    return Rule(lambda v: v in names, "one of " + ", ".join(names))


def each(rule: Rule, at_least: int = 1, at_most: int | None = None) -> Rule:
    """A list of ``at_least`` to ``at_most`` items, each following ``rule``."""
    return _Each(rule, at_least, at_most)


def interval() -> Rule:
    return Rule(lambda v: isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v) and v[0] < v[1],
                "two numbers lo,hi with lo < hi")


def expression() -> Rule:
    from .._expr import compile_expression

    def check(v) -> bool:
        try:
            compile_expression(v)
        except (ValueError, TypeError, SyntaxError):
            return False
        return True

    return Rule(check, "an expression in x such as exp(-5*x) or sin(3*x)")


def layer_sizes(inputs: int | None = None, outputs: int | None = None) -> Rule:
    ends = "".join([f", starting with {inputs}" if inputs else "", f", ending with {outputs}" if outputs else ""])
    return Rule(lambda v: isinstance(v, list) and len(v) >= 2 and all(isinstance(x, int) and x >= 1 for x in v)
                and (inputs is None or v[0] == inputs) and (outputs is None or v[-1] == outputs),
                f"at least two positive layer sizes{ends}")


def count_between(lo: int, hi: int) -> Rule:
    return Rule(lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
                f"an integer from {lo} to {hi}")


def _parse(raw: str, default: Any) -> Any:
    """An environment variable's text as the default's type (lists comma-separated)."""
    if isinstance(default, list):  # an empty variable is the empty list
        kind = type(default[0]) if default else str
        return [_parse(part.strip(), kind()) for part in raw.split(",")] if raw.strip() else []
    if isinstance(default, bool):
        if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
            raise ValueError("expected true or false")
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def _as_default_type(value: Any, default: Any) -> Any:
    """A TOML value as the default's type where that loses nothing (an int for a float)."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, list) and default and isinstance(default[0], float) and isinstance(value, list):
        return [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


def load_settings(scene_file: str, defaults: Mapping[str, Any], rules: Mapping[str, Rule] | None = None) -> dict:
    """``defaults``, updated by ``<scene>.toml`` beside ``scene_file`` (or the
    file named by ``PYNEURON_SCENE_CONFIG``), then by ``PYNEURON_<NAME>``
    environment variables; every value then checked against ``rules``."""
    cfg, origin = dict(defaults), {k: "default" for k in defaults}
    named = os.environ.get("PYNEURON_SCENE_CONFIG")
    path = Path(named) if named else Path(scene_file).with_suffix(".toml")
    if named and not path.is_file():
        raise SettingsError(f"PYNEURON_SCENE_CONFIG={named}: no such settings file")
    if path.is_file():
        try:
            with open(path, "rb") as f:
                loaded = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        unknown = sorted(set(loaded) - set(defaults))
        if unknown:
            raise SettingsError(f"{path}: unknown scene settings: {', '.join(unknown)}; known: {', '.join(defaults)}")
        for key, value in loaded.items():
            cfg[key], origin[key] = _as_default_type(value, defaults[key]), f"{path.name}"
    for key, default in defaults.items():
        var = f"PYNEURON_{key.upper()}"
        raw = os.environ.get(var)
        if raw is None:
            continue
        try:
            cfg[key] = _parse(raw, default)
        except ValueError:
            kind = "comma-separated list" if isinstance(default, list) else type(default).__name__
            raise SettingsError(f"{var}={raw}: not a {kind} (setting {key})") from None
        origin[key] = var
    for key, rule in (rules or {}).items():
        value = cfg[key]
        if not rule.check(value):
            where = origin[key]
            shown = ",".join(map(str, value)) if isinstance(value, list) else value
            source = f"{where}={shown}" if where.startswith("PYNEURON_") else f"{key} = {value!r} ({where})"
            raise SettingsError(f"{source}: {rule.problem(key, value)}")
    return cfg


def settings_or_exit(settings: Callable[[], Any], scene_file: str) -> Any:
    """``settings()``, or one line on stderr and exit status 2 if it raises
    ValueError (a bad setting, an unreadable run): what a scene calls when
    manim loads it, before anything renders."""
    try:
        return settings()
    except ValueError as exc:
        print(f"{os.path.basename(scene_file)}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
