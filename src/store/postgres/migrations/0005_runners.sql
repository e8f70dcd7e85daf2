-- The runner daemon (issue 9): one row per runner process (host, pid, heartbeat, and a stop flag
-- any machine can set: jobflow-remote #375), and one row per managed worker naming the runner
-- that drives it, with a lease that expires (a runner killed with SIGKILL is replaced once its
-- lease is over) and the worker's state as the runner last saw it (for `ferry runner status`).
CREATE TABLE runners (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid bigint NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL,
  stop_requested integer NOT NULL DEFAULT 0,
  stopped_at bigint,
  log_path text
);
CREATE TABLE runner_workers (
  worker text PRIMARY KEY,
  runner_id text,
  lease_expires_at bigint,
  state text NOT NULL DEFAULT 'ok',
  failures integer NOT NULL DEFAULT 0,
  last_error text,
  last_cycle_at bigint,
  next_cycle_at bigint,
  updated_at bigint NOT NULL
);
