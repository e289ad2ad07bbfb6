"""Database access: engine, unit of work, tables, dialect helpers and migrations."""
