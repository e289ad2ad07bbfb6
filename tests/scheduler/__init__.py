"""The cron table and the single-leader scheduler."""
