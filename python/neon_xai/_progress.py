"""Optional progress display for long calls: ``progress=True`` shows a bar (tqdm when it is
installed, else one line on stderr), a callable receives ``(done, total)``."""

import sys


def callback(progress, description):
    """The ``callback(done, total)`` passed to the library for ``progress`` (``None``, ``False``,
    ``True`` or a callable), or ``None`` for no progress."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    if progress is not True:
        raise TypeError(f"progress must be True, False or a callable(done, total), got {progress!r}")
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _StderrLine(description)
    return _Tqdm(tqdm, description)


class _Tqdm:
    def __init__(self, tqdm, description):
        self._tqdm = tqdm
        self._description = description
        self._bar = None

    def __call__(self, done, total):
        if self._bar is None:
            self._bar = self._tqdm(total=total, desc=self._description, unit="row")
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()


class _StderrLine:
    def __init__(self, description):
        self._description = description

    def __call__(self, done, total):
        percent = 100.0 * done / total if total else 100.0
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{self._description}: {done}/{total} ({percent:.0f} %){end}")
        sys.stderr.flush()
