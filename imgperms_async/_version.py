"""The package version, kept apart so the User-Agent can name it without importing the client."""

__version__ = "0.1.0"
