"""The cyclic collector pause shared by reads and document builds (`collector.paused`)."""

import gc
import threading

from tb_overfit_plugin import collector


def test_pauses_nest_and_overlap_across_threads_and_restore_the_collector():
    assert gc.isenabled()
    inner_started, outer_done = threading.Event(), threading.Event()
    seen = []

    def other_thread():
        with collector.paused():
            inner_started.set()
            outer_done.wait(5)
            seen.append(gc.isenabled())  # the first pause ended, this one still holds
        seen.append(gc.isenabled())

    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner pause's end does not resume the collector"
        thread = threading.Thread(target=other_thread)
        thread.start()
        inner_started.wait(5)
    outer_done.set()
    thread.join(5)
    assert seen == [False, True]
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
