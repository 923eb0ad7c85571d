"""shared_data.py - where the sample programs and vectors are.

$SPP_SHARED_DIR when set; else ../shared beside the checkout (the project's
living copy) when it has the programs; else the copy in tests/data/shared,
so a clone anywhere still runs (tests/run_all.sh decides the same way).
The one answer for tests/e2e/spp.py and bench/.
"""

import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def shared_dir():
    d = os.environ.get("SPP_SHARED_DIR")
    if d:
        return d
    living = os.path.join(ROOT, "..", "shared")
    if os.path.isdir(os.path.join(living, "programs")):
        return living
    return os.path.join(ROOT, "tests", "data", "shared")
