"""Entity sync: specs, repository, refresh, affiliation, sync against the simulator."""
