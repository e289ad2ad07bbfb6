"""Feed followers with persisted cursors (R2Z2) and gap repair."""
