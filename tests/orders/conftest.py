import uuid

import pytest


@pytest.fixture
def own_rate_limits(settings):
    """Each test counts its /track/ attempts apart from every other test and run sharing the cache."""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"track-test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
