-- ferry schema 1 (SQLite). Never edit after release: add a new numbered file instead.
-- Times are milliseconds since the epoch (UTC); JSON columns hold JSON text.

CREATE TABLE flows (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  flow_id INTEGER NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  tasks TEXT NOT NULL,
  inputs TEXT NOT NULL,
  resources TEXT NOT NULL,
  worker TEXT,
  category TEXT,
  priority REAL NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '{}',
  allow_failed_parents INTEGER NOT NULL DEFAULT 0,
  -- parents that have not finished in a way that lets this job run; 0 and WAITING → READY
  unfinished_parents INTEGER NOT NULL DEFAULT 0,
  outputs TEXT,
  stored_data TEXT,
  recovery TEXT,
  held_from TEXT,
  -- the run whose action added this job (dynamic workflows), if any
  added_by_run INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (flow_id, name)
);
CREATE INDEX jobs_claim ON jobs (state, priority DESC, id);
CREATE INDEX jobs_flow_state ON jobs (flow_id, state);
CREATE INDEX jobs_updated ON jobs (updated_at);

-- Flow edges are rows: finishing a job touches only its children.
CREATE TABLE edges (
  parent_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  child_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX edges_child ON edges (child_id, parent_id);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  mode TEXT NOT NULL,
  worker TEXT,
  host TEXT,
  launch_dir TEXT,
  scheduler_id TEXT,
  scheduler_state TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  heartbeat_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  checkpoint TEXT,
  outputs TEXT,
  action TEXT,
  error TEXT,
  exit_code INTEGER,
  archived INTEGER NOT NULL DEFAULT 0,
  forgotten INTEGER NOT NULL DEFAULT 0,
  problem TEXT,
  problem_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX runs_job ON runs (job_id, id);
CREATE INDEX runs_active ON runs (state, mode, worker) WHERE archived = 0;
CREATE INDEX runs_lease ON runs (lease_owner) WHERE lease_owner IS NOT NULL;

-- Every job state transition, written in the same transaction as the transition.
CREATE TABLE job_events (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  run_id INTEGER,
  from_state TEXT,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  reason TEXT
);
CREATE INDEX job_events_job ON job_events (job_id, id);
CREATE INDEX job_events_at ON job_events (at);
