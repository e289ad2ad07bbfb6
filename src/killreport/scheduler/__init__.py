"""The cron table and a runner that holds a single-leader lock."""
