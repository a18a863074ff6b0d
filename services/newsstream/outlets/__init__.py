"""Many outlets: the feeds file, OPML import, politeness rules, language and syndicated copies.

Every module here is pure (no network, no Kafka, no Elasticsearch): the poller, the extractor
and the CLI apply these decisions; ``files.py`` is the only one that touches the disk.
"""
