from tests.support.fixtures import feed_server  # noqa: F401
