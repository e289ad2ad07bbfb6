"""EVE entities: one spec table, repository, refresh and discovery services."""
