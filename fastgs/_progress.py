"""A small progress bar on stderr for multi-run work (no dependency).

It draws only on a terminal: redirected output (logs, CI, pipes) stays free of
carriage-return noise.
"""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressBar", "sequential_map"]


def _format_seconds(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


class ProgressBar:
    """``label [#####-----] 5/10 0:03 elapsed, ~0:03 left`` redrawn in place.

    Parameters
    ----------
    total : int, number of steps
    label : str, text before the bar
    enabled : bool or None; None draws only when ``stream`` is a terminal
    stream : file object, default ``sys.stderr``
    width : int, number of characters of the bar
    """

    def __init__(self, total: int, label: str = "", *, enabled=None, stream=None, width: int = 28):
        self.total = max(int(total), 0)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = bool(enabled)
        self.width = width
        self.done = 0
        self._start = time.perf_counter()
        self._drawn = False

    def __enter__(self):
        self._draw()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def update(self, steps: int = 1) -> None:
        """Advance by ``steps`` and redraw."""
        self.done = min(self.done + steps, self.total)
        self._draw()

    def render(self) -> str:
        """The current line, without the carriage return."""
        frac = self.done / self.total if self.total else 1.0
        filled = round(frac * self.width)
        elapsed = time.perf_counter() - self._start
        text = (
            f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
            f"{self.done}/{self.total} {_format_seconds(elapsed)} elapsed"
        )
        if 0 < self.done < self.total:
            text += f", ~{_format_seconds(elapsed / self.done * (self.total - self.done))} left"
        return text.lstrip()

    def _draw(self) -> None:
        if not self.enabled:
            return
        self.stream.write("\r" + self.render())
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the line the bar was drawn on."""
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def sequential_map(func, items, *, label: str = "", enabled=None, stream=None) -> list:
    """``[func(item) for item in items]`` with a progress bar."""
    items = list(items)
    results = []
    with ProgressBar(len(items), label, enabled=enabled, stream=stream) as bar:
        for item in items:
            results.append(func(item))
            bar.update()
    return results
