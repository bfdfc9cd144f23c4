"""The plan's health throttle for the long jobs (the ``Backfill`` and the ``Verifier``): the
Swift client's ``JobThrottle`` and ``ThrottleDecision``, in Python, with the same sentences.

A phase may name gauges (``replication.lag_seconds``) in its ``throttle`` rules: while the
phase is current, a gauge above ``slowAbove`` slows a job to ``slowRate`` rows a second and one
above ``pauseAbove`` stops it; a gauge never reported, older than ``maxAgeSeconds`` or from the
future stops it too. The rules are stored in ``phases.automation`` (JSON) under ``throttle``.
The reasons are what operators read in ``migctl backfill|verify status``, whichever client
wrote them, so :func:`number` and :func:`duration` print numbers as migctl's ``GateFormat`` does.
"""
from __future__ import annotations

import calendar
import json
import math
import time
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

from ._store import _instant
from ._text import safe

#: A gauge stamped further in the future than this (seconds) is wrong, not early (migctl's ``clockSkewSeconds``).
CLOCK_SKEW = 60.0
#: At most this many rules a phase (the plan's limit: ``Limits.gatesPerPhase``).
RULES_LIMIT = 32
#: The rates a rule may slow to, as `migctl backfill rate` allows.
RATES = (1, 1_000_000_000)
#: The longest ``phases.automation`` text read (the plan file's limit, 1 MiB).
AUTOMATION_LIMIT = 1 << 20
_INT64 = (-2**63, 2**63 - 1)


class Throttle(NamedTuple):
    """One rule: above ``slow_above`` at most ``slow_rate`` rows a second, above ``pause_above``
    stop; a gauge older than ``max_age_seconds`` stops the job too."""
    gauge: str
    slow_above: Optional[float]
    slow_rate: Optional[int]
    pause_above: Optional[float]
    max_age_seconds: int


class Gauge(NamedTuple):
    """A gauge as stored: its value and when it was last set (Unix seconds)."""
    value: float
    updated_at: float


class Decision(NamedTuple):
    """What the rules ask of a job now: ``paused``, else at most ``rate`` rows a second (None: no
    limit); ``reason`` is the sentence the job records in ``job_progress.throttled`` (None at
    full speed). Equal decisions are the same change: a job records each change once."""
    paused: bool
    rate: Optional[int]
    reason: Optional[str]


FULL_SPEED = Decision(False, None, None)


def number(value: float) -> str:
    """``value`` as migctl prints gate figures (``GateFormat.number``): ``12``, ``0.05``,
    ``123.4568``, ``5e-05``, ``2.5e+20``, ``NaN``, ``+Inf``."""
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
    if abs(value) < 0.001 or abs(value) >= 1e15:
        return "%.4g" % value
    return ("%.4f" % value).rstrip("0").rstrip(".")


def duration(seconds) -> str:
    """``seconds`` as migctl writes every duration (``Durations.human``, which
    ``GateFormat.duration`` uses): the two largest units, the second with two digits and left
    out when zero: ``45s``, ``1m 03s``, ``2m``, ``2h 05m``, ``3d 4h``, ``7d``. Whole seconds,
    rounded down; negative and non-finite values read ``0s``."""
    try:
        value = float(seconds)
    except (TypeError, ValueError, OverflowError):
        value = 0.0
    s = int(min(value, 9e18)) if math.isfinite(value) and value > 0 else 0

    def pair(big: int, big_unit: str, small: int, small_unit: str, padded: bool) -> str:
        if small <= 0:
            return f"{big}{big_unit}"
        return f"{big}{big_unit} " + ("0" if padded and small < 10 else "") + f"{small}{small_unit}"

    if s < 60:
        return f"{s}s"
    if s < 3600:
        return pair(s // 60, "m", s % 60, "s", True)
    if s < 86_400:
        return pair(s // 3600, "h", s % 3600 // 60, "m", True)
    return pair(s // 86_400, "d", s % 86_400 // 3600, "h", False)


def _truncated(seconds: float) -> int:
    """Rounded towards zero and clamped to 64 bits, NaN as 0 (Swift's ``Int64(clamping:)``)."""
    if math.isnan(seconds):
        return 0
    if not math.isfinite(seconds):
        return _INT64[1] if seconds > 0 else _INT64[0]
    return max(_INT64[0], min(_INT64[1], int(seconds)))


def decide(rules: Sequence[Throttle], gauges: Dict[str, Gauge], now: float) -> Decision:
    """The strictest of ``rules`` against ``gauges`` at ``now`` (Unix seconds): the first pause
    wins, else the lowest slow rate (the first of equal ones), else full speed."""
    decision = FULL_SPEED
    for rule in rules:
        judged = _judge(rule, gauges.get(rule.gauge), now)
        if judged.paused:
            return judged
        if judged.rate is not None and (decision.rate is None or judged.rate < decision.rate):
            decision = judged
    return decision


def _judge(rule: Throttle, gauge: Optional[Gauge], now: float) -> Decision:
    if gauge is None:
        return Decision(True, None, f"paused: {rule.gauge} has never been reported, and the plan throttles on it")
    age = now - gauge.updated_at
    if age > rule.max_age_seconds:
        return Decision(True, None, f"paused: {rule.gauge} was last reported {duration(_truncated(age))} ago, "
                                    f"older than {duration(rule.max_age_seconds)}")
    if age < -CLOCK_SKEW:
        return Decision(True, None, f"paused: {rule.gauge} was reported in the future; its clock or its row is wrong")
    value = number(gauge.value)
    if rule.pause_above is not None and not gauge.value <= rule.pause_above:   # NaN is above everything
        return Decision(True, None, f"paused: {rule.gauge} is {value}, above {number(rule.pause_above)}")
    if rule.slow_above is not None and rule.slow_rate is not None and not gauge.value <= rule.slow_above:
        return Decision(False, rule.slow_rate, f"slowed to {rule.slow_rate} rows a second: {rule.gauge} is {value}, "
                                               f"above {number(rule.slow_above)}")
    return FULL_SPEED


def unreadable(phase: str, problem: str) -> Decision:
    """The decision for a phase whose rules this client cannot read: paused, saying why. Its
    health was asked to be watched, and a job running unthrottled could be what hurts it."""
    return Decision(True, None, f"paused: the throttle rules of phase {safe(phase, 64)} cannot be read ({problem}); "
                                "this client does not run the job without them")


def rules_from_automation(text) -> Tuple[Tuple[Throttle, ...], Optional[str]]:
    """A phase's throttle rules from its ``phases.automation`` value, and None; or no rules and
    a short sentence saying what cannot be read. Never raises: the column may hold anything."""
    if text is None:
        return (), None
    if isinstance(text, bytes):   # as SQLite hands it over
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return (), "phases.automation is not UTF-8 text"
    if not isinstance(text, str):
        return (), "phases.automation is not text"
    if len(text) > AUTOMATION_LIMIT:
        return (), "phases.automation is longer than 1 MiB"
    try:
        automation = json.loads(text)
    except (ValueError, RecursionError):   # garbage, or nesting deeper than the parser goes
        return (), "phases.automation is not JSON"
    if not isinstance(automation, dict):
        return (), "phases.automation is not a JSON object"
    listed = automation.get("throttle")
    if listed is None:   # none, as the Swift client stores a phase without throttles
        return (), None
    if not isinstance(listed, list) or len(listed) > RULES_LIMIT:
        return (), f"its throttle is not a list of at most {RULES_LIMIT} rules"
    rules = []
    for index, entry in enumerate(listed, 1):
        rule = _rule(entry)
        if isinstance(rule, str):
            return (), f"throttle rule {index}: {rule}"
        rules.append(rule)
    return tuple(rules), None


def _rule(entry):
    """A :class:`Throttle` from one stored rule, or what is wrong with it."""
    from ._model import NAME   # here: _model reads the rules with this module
    if not isinstance(entry, dict):
        return "not a JSON object"
    gauge = entry.get("gauge")
    if not isinstance(gauge, str) or not NAME.match(gauge):
        return f"gauge is {_shown(gauge)}, not a gauge name"
    fields = {}
    for key in ("slowAbove", "pauseAbove"):
        value = entry.get(key)
        if value is not None:
            bound = _finite(value)
            if bound is None:
                return f"{key} is {_shown(value)}, not a finite number"
            fields[key] = bound
    rate = entry.get("slowRate")
    if rate is not None and not (_whole(rate) and RATES[0] <= rate <= RATES[1]):
        return f"slowRate is {_shown(rate)}, not a whole number from {RATES[0]} to {RATES[1]}"
    age = entry.get("maxAgeSeconds")
    if not (_whole(age) and _INT64[0] <= age <= _INT64[1]):
        return f"maxAgeSeconds is {_shown(age)}, not a whole number of seconds"
    return Throttle(gauge, fields.get("slowAbove"), rate, fields.get("pauseAbove"), age)


def _shown(value) -> str:
    """A value read from a rule, short and safe, for the sentence that says what is wrong."""
    if value is None:
        return "missing"
    if isinstance(value, str):
        return f"'{safe(value, 40)}'"
    if isinstance(value, bool) or isinstance(value, float) or (isinstance(value, int) and abs(value) < 10**18):
        return repr(value)
    return "a large whole number" if isinstance(value, int) else "a list" if isinstance(value, list) else "an object"


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:   # an integer beyond a double's range
        return None
    return number if math.isfinite(number) else None


def instant_seconds(stamp) -> Optional[float]:
    """Unix seconds of a stored instant (``2026-11-25T12:58:08.123Z``), None for anything else."""
    if not _instant(stamp):
        return None
    try:
        whole = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:   # the right shape, not a date (month 13)
        return None
    return whole + int(stamp[20:23]) / 1000


def gauge_from_row(value, updated_at: Optional[float]) -> Optional[Gauge]:
    """A gauge row's value and instant, or None when either is not what the contract says (the
    Swift client skips such a row too: the gauge reads as never reported, which pauses)."""
    number = _finite(value)
    if number is None or updated_at is None or not math.isfinite(updated_at):
        return None
    return Gauge(number, updated_at)
