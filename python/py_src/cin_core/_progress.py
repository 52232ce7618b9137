"""Progress display for long loads (``progress=True``): tqdm when installed, a plain line on
stderr otherwise.

The engine does its work in one native call with the GIL released, so a helper thread ticks the
display while it runs (elapsed time), and the final line gives the records loaded.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")

_TICK = 0.2


def _summary(result: Any) -> str:
    loaded = getattr(result, "loaded", None)
    if isinstance(loaded, dict):
        return f"{sum(loaded.values()):,} records"
    return "done"


def run(desc: str, fn: Callable[[], T], progress: bool, *, file: Optional[Any] = None) -> T:
    """``fn()``, with a progress display named ``desc`` when ``progress`` is true."""
    if not progress:
        return fn()
    out = file if file is not None else sys.stderr
    stop = threading.Event()
    start = time.perf_counter()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None

    if tqdm is not None:
        bar = tqdm(
            desc=desc,
            total=None,
            file=out,
            bar_format="{desc}: {elapsed} {postfix}",
            leave=True,
        )

        def tick() -> None:
            while not stop.wait(_TICK):
                bar.refresh()

    else:
        bar = None

        def tick() -> None:
            while not stop.wait(_TICK * 2.5):
                out.write(f"\r{desc}: {time.perf_counter() - start:6.1f} s")
                out.flush()

    ticker = threading.Thread(target=tick, name="cin_core-progress", daemon=True)
    ticker.start()
    ok = False
    try:
        result = fn()
        ok = True
        return result
    finally:
        stop.set()
        ticker.join()
        elapsed = time.perf_counter() - start
        what = _summary(result) if ok else "failed"
        if bar is not None:
            bar.set_postfix_str(what, refresh=False)
            bar.close()
        else:
            out.write(f"\r{desc}: {elapsed:6.1f} s, {what}\n")
            out.flush()
