import sys

from server.net.core.warmup import import_lazy_torch_modules


def test_warmup_leaves_torch_dynamo_imported() -> None:
    import_lazy_torch_modules()
    assert "torch._dynamo" in sys.modules


def test_freeze_moves_startup_objects_out_of_collection() -> None:
    import gc

    from server.net.core.warmup import freeze_startup_objects

    before = gc.get_freeze_count()
    freeze_startup_objects()
    try:
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_background_warmup_imports_and_freezes_then_later_calls_return_at_once() -> None:
    import gc
    import threading

    from server.net.core import warmup

    before = gc.get_freeze_count()
    thread = warmup.start_in_background()
    assert thread.daemon
    waiters = [threading.Thread(target=warmup.import_lazy_torch_modules) for _ in range(4)]
    for w in waiters:
        w.start()
    for w in waiters:
        w.join(timeout=60)
    thread.join(timeout=60)
    try:
        assert warmup._done.is_set() and "torch._dynamo" in sys.modules
        assert gc.get_freeze_count() > before
        with warmup._lock:  # done once: later calls never take the lock again
            late = threading.Thread(target=warmup.import_lazy_torch_modules)
            late.start()
            late.join(timeout=10)
            assert not late.is_alive()
    finally:
        gc.unfreeze()
