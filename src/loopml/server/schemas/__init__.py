"""Request and response models of the REST API (what the OpenAPI document describes)."""
