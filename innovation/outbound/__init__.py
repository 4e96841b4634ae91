"""What leaves the system: the digest e-mail now; notifications and webhooks next.

Each sender is a reader of the log with a stored checkpoint; each attempt is recorded as data,
retried with back-off, and nothing is sent twice: the delivery id is a log position.
"""
