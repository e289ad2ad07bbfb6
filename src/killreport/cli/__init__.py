"""The `killreport` command line."""
