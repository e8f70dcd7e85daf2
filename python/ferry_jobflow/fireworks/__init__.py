"""FireWorks on ferry: the node-side runner for Firetasks (run.py) and FWAction → ferry action."""
