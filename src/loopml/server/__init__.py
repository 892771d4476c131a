"""The platform server: REST API, MLflow compatibility, auth and the web UI (``loopml up``)."""
