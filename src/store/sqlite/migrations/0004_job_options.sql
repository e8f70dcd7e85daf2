-- Job options for Python users (issue 10): a display label that need not be unique (jobflow's
-- readable names), per-job environment and preRun lines (jobflow-remote's exec_config), and
-- what a reference to a failed, cancelled or missing parent output gives ('fail' or 'null':
-- jobflow's OnMissing.NONE). Existing jobs keep the old behaviour.
ALTER TABLE jobs ADD COLUMN label TEXT;
ALTER TABLE jobs ADD COLUMN env TEXT;
ALTER TABLE jobs ADD COLUMN pre_run TEXT;
ALTER TABLE jobs ADD COLUMN on_missing_reference TEXT NOT NULL DEFAULT 'fail';
