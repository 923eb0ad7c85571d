"""unittest_main.py - run a unittest module the way tests/run_all.sh reads it.

Verbose unittest output, then any benchmark lines (printed, never
asserted), then exactly one line "N passed, M failed"; exit status 1 when
anything failed or errored.
"""

import sys
import unittest


def run(module_name, bench=(), missing=()):
    for path in missing:
        print("missing %s (run make first)" % path)
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module_name])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    for line in bench:
        print("bench: " + line)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
