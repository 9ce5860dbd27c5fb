"""Deployments the HTTP and SMTP tests run against: in memory, on Redis, two servers on Redis."""
