"""The data layer: the connection and its transactions, models, prepared SQL, search, migrations.

Imports nothing from Flask, werkzeug, microblog.service or microblog.web."""
