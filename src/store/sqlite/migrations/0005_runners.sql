-- The runner daemon (issue 9): one row per runner process (host, pid, heartbeat, and a stop flag
-- any machine can set: jobflow-remote #375), and one row per managed worker naming the runner
-- that drives it, with a lease that expires (a runner killed with SIGKILL is replaced once its
-- lease is over) and the worker's state as the runner last saw it (for `ferry runner status`).
CREATE TABLE runners (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  stopped_at INTEGER,
  log_path TEXT
);
CREATE TABLE runner_workers (
  worker TEXT PRIMARY KEY,
  runner_id TEXT,
  lease_expires_at INTEGER,
  state TEXT NOT NULL DEFAULT 'ok',
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_cycle_at INTEGER,
  next_cycle_at INTEGER,
  updated_at INTEGER NOT NULL
);
