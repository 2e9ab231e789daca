"""Shared pytest settings for the unit tests.

Hypothesis explores fresh random examples on a developer's machine, which is how it finds bugs; under
CI (``CI`` set, as ``.ci/run`` runs) it is derandomized, so that a submission's result does not depend
on the draw: the same examples every run, and a failure there is a failure every time.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
