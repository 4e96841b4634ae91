"""Files in and out: scouts' spreadsheets of ideas, and exports of the log and the read models.

``rows`` reads a CSV or JSON Lines file of ideas into commands (or the reason a row is bad),
``importer`` runs them through the pipeline, ``exports`` writes the log, the ideas or the
releases out, and ``restore`` loads an events export into an empty database as it was.
"""
