"""SCF timer trigger: a sweep, no buckets named."""

from typing import Optional

from .common import DictWrapper


class TimerEvent(DictWrapper):
    """SCF timer trigger: ``{"Type": "Timer", "TriggerName", "Time", "Message"}``."""

    __slots__ = ()

    @staticmethod
    def matches(event: dict) -> bool:
        kind = event.get("Type")
        return isinstance(kind, str) and kind.lower() == "timer"

    @property
    def trigger_name(self) -> Optional[str]:
        return self._str("TriggerName")

    @property
    def time(self) -> Optional[str]:
        return self._str("Time")

    @property
    def message(self) -> Optional[str]:
        return self._str("Message")

