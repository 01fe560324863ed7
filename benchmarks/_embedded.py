"""The embedded llama.cpp server with its own timing report switched on, for the benchmarks."""

from __future__ import annotations

import os
import re
import time

from extract.model.server import EmbeddedServer

_TOTAL = re.compile(rb"llama_perf_context_print:\s+total time =\s+([\d.]+) ms")


class TimedServer(EmbeddedServer):
    """`EmbeddedServer` with llama-cpp-python's verbose log on: after every completion llama.cpp prints its
    own `total time` (prompt evaluation, sampling and generation) to stderr, which we sum."""

    def command(self) -> list[str]:
        cmd = super().command()
        cmd[cmd.index("--verbose") + 1] = "True"
        return cmd

    def __enter__(self) -> TimedServer:
        self.start()
        return self

    def reported_ms(self) -> float:
        """Sum of llama.cpp's reported `total time` over every completion so far."""
        time.sleep(0.05)  # the line is printed as the response goes out
        if self._stderr is None:
            return 0.0
        self._stderr.flush()
        self._stderr.seek(0, os.SEEK_SET)
        return sum(float(m) for m in _TOTAL.findall(self._stderr.read()))
