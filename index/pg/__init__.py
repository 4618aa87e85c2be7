"""The archive in PostgreSQL: one database shared by every replica of the service."""
