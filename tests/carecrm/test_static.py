"""Static files collect as `make run` and the Docker image collect them: hashed names in a manifest, and
every file a stylesheet or script points at (a source map, a font) must be there, or collectstatic stops."""

import io

from django.core.management import call_command


def test_collectstatic_builds_the_manifest_of_every_file(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    call_command("collectstatic", "--noinput", stdout=io.StringIO())

    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in ("css/app.css", "js/charts.js", "vendor/chart-4.4.7.umd.min.js", "vendor/htmx-2.0.11.min.js"):
        assert f'"{name}"' in manifest
