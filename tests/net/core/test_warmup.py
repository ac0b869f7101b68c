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
