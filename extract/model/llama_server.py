"""`python -m extract.model.llama_server …`: llama-cpp-python's OpenAI-compatible server, with log-probabilities
made cheap.

llama-cpp-python 0.3 builds each generated token's `top_logprobs` by sorting the whole vocabulary in Python
(`sorted(zip(logprobs, range(n_vocab)))`: 0.24 s per token for Qwen2.5's 151,936 tokens on these cores) and
takes the log-softmax of every evaluated position of the context before keeping the generated ones. A
one-word answer in JSON is about 15 tokens, so log-probabilities cost more than the answer itself. Here the
two are replaced, in this server process only, by what they compute in the end: the few largest entries
(`heapq.nlargest`) and the log-softmax of the rows asked for. The arguments and the API are llama-cpp-python's
own (`python -m llama_cpp.server --help`).
"""

from __future__ import annotations

import builtins
import heapq
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

TOP = 20  # the most `top_logprobs` a request may ask of this server (parley asks for 1)


def _largest(
    iterable: Iterable[Any], *, key: Callable[[Any], Any] | None = None, reverse: bool = False
) -> list[Any]:
    """`sorted(…, reverse=True)` where only the first `TOP` items are ever read (llama.py slices them)."""
    if reverse and key is None:
        return heapq.nlargest(TOP, iterable)
    return builtins.sorted(iterable, key=key, reverse=reverse)


class _RowsOnDemand:
    """`logits_to_logprobs(scores)[offset:]`, computing only the rows that are read."""

    def __init__(self, logits: np.ndarray[Any, Any], convert: Callable[..., Any]) -> None:
        self.logits, self.convert = logits, convert

    def __getitem__(self, index: Any) -> Any:
        return self.convert(self.logits[index])

    def tolist(self) -> Any:
        return self.convert(self.logits).tolist()


def patch() -> None:
    import llama_cpp.llama as llama

    convert = llama.Llama.logits_to_logprobs

    def logits_to_logprobs(logits: Any, axis: int = -1) -> Any:
        if isinstance(logits, np.ndarray) and logits.ndim == 2 and axis == -1:
            return _RowsOnDemand(logits, convert)
        return convert(logits, axis=axis)

    llama.Llama.logits_to_logprobs = staticmethod(logits_to_logprobs)  # type: ignore[method-assign]
    llama.sorted = _largest  # type: ignore[attr-defined]  # the module's own name, not the builtin


def main() -> None:
    patch()
    from llama_cpp.server.__main__ import main as serve

    serve()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
