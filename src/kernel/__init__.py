"""What every domain package shares, importing none of them: errors and the problem converter,
the clock, settings, the event catalogue and the Notifier port, jobs, the runtime's typed parts,
SQL statements and the write-transaction helper, and the HTTP helpers."""
