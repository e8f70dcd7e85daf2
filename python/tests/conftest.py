"""Tests run from python/ (`pytest`) or from the repo root (`npm test` runs them). They test
this checkout's ferry_jobflow, not an installed copy, and the helper modules beside them; the
processes ferry starts get the same through PYTHONPATH."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
sys.path[:0] = [PACKAGE_ROOT, HERE]
os.environ["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT, HERE, *filter(None, [os.environ.get("PYTHONPATH")])])
