"""newsstream: who is mentioned in the news, and who said what, searchable within seconds."""

__version__ = "0.1.0"
