"""The package as a whole: its public names and what importing it costs."""
import pytest

import gdlib as gd


def test_every_public_name_is_reachable_from_the_top():
    for module in (gd.derivatives, gd.functions, gd.optim, gd.schedules, gd.runner, gd.autograd,
                   gd.losses, gd.nn, gd.data, gd.checks):
        for name in module.__all__:
            assert getattr(gd, name) is getattr(module, name), (module.__name__, name)


def test_plotting_and_explorer_are_reachable_from_the_package_lazily():
    import importlib
    import subprocess
    import sys
    code = ("import sys, gdlib as gd; assert 'gdlib.explorer' not in sys.modules; "
            "gd.explorer.explore; gd.plotting.plot_contours; assert 'gdlib.explorer' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        importlib.import_module("gdlib").nonexistent
