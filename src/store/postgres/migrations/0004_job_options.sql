-- Job options for Python users (issue 10): a display label that need not be unique (jobflow's
-- readable names), per-job environment and preRun lines (jobflow-remote's exec_config), and
-- what a reference to a failed, cancelled or missing parent output gives ('fail' or 'null':
-- jobflow's OnMissing.NONE). Existing jobs keep the old behaviour.
ALTER TABLE jobs
  ADD COLUMN label text,
  ADD COLUMN env jsonb,
  ADD COLUMN pre_run text,
  ADD COLUMN on_missing_reference text NOT NULL DEFAULT 'fail';
