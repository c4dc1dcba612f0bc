"""Publishers: what leaves the process besides the API (alert webhooks). Aggregates only."""
