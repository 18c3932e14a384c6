"""Example project modules called by the flows in flows_fixtures/."""
