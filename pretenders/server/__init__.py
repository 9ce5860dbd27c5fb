"""The pretenders server: admin API, HTTP mocks and SMTP mocks on one asyncio loop."""
