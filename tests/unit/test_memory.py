"""The collector policy: pauses on several threads overlap without leaving it off."""

from __future__ import annotations

import gc
import threading

from app.core.memory import collector_paused


def test_overlapping_pauses_bring_the_collector_back_when_the_last_ends():
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        seen.append(("first ended", gc.isenabled()))
        first_out.set()

    def second():
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)  # the first pause ends while this one goes on
            seen.append(("second still going", gc.isenabled()))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [("first ended", False), ("second still going", False)]
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_switched_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
