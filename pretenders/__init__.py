"""Pretenders: configurable fake HTTP and SMTP servers for integration tests."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pretenders")
except PackageNotFoundError:  # running from a source checkout that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
