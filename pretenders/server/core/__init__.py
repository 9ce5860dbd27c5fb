"""The mock registry, presets and their matching, and history.

Nothing in this package knows about aiohttp or aiosmtpd: the protocol adapters turn
traffic into records and call in here.
"""
