-- When each worker's scheduler was last asked for job status, so that separate `ferry offline
-- recover` processes (cron, watch, two users) together respect the worker's statusIntervalSeconds.
CREATE TABLE scheduler_polls (
  worker TEXT PRIMARY KEY,
  polled_at INTEGER NOT NULL
);
