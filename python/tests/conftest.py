"""Tests run from python/ (`pytest`) or from the repo root (`npm test` runs them): the test
helper modules live beside the tests."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
