"""What the maintenance commands share on the console: a progress bar, drawn only when the
output is a terminal (a pipe, a log file or `--json` gets the summary alone)."""

from typing import Protocol

WIDTH = 30


class Stream(Protocol):
    def write(self, text: str, ending: str = ...) -> None: ...

    def isatty(self) -> bool: ...

    def flush(self) -> None: ...


class ProgressBar:
    """`label [#########.........] 300/1000`, redrawn in place as work is done."""

    def __init__(self, stream: Stream, *, total: int, label: str, enabled: bool = True) -> None:
        self.stream = stream
        self.total = total
        self.label = label
        self.enabled = enabled and total > 0 and stream.isatty()
        self._drawn = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        filled = WIDTH * min(done, self.total) // self.total
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total}", ending="")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("")
            self._drawn = False
