# One image for every CareCRM process: gunicorn by default; docker-compose.yml runs the Celery worker,
# Celery beat and the one-shot migrate from the same image with another command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 10001 carecrm \
    && useradd --system --uid 10001 --gid carecrm --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin carecrm

WORKDIR /app

# The pinned dependencies alone first, so that a code change reuses this layer. The project installs no
# package of its own (`[tool.setuptools] packages = []`); README.md is there because pyproject names it.
COPY pyproject.toml README.md /tmp/dependencies/
RUN pip install /tmp/dependencies && rm -rf /tmp/dependencies

COPY . .

# Production settings refuse to load without their secrets. These placeholders exist only for this one
# command (nothing connects to them while collecting static files) and are not part of the image's
# environment. var/ must stay writable for the app user; the collected files need only be readable.
RUN SECRET_KEY=build-time-placeholder-never-used-at-runtime \
    ALLOWED_HOSTS=localhost \
    CARECRM_SITE_URL=http://localhost \
    DATABASE_URL=postgres://build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    DJANGO_SETTINGS_MODULE=carecrm.settings.production \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/media && chown -R carecrm:carecrm /app/var

USER carecrm
ENV DJANGO_SETTINGS_MODULE=carecrm.settings.production
EXPOSE 8000 8001

# Workers come from WEB_CONCURRENCY (gunicorn reads it); threads keep slow clients from blocking a worker.
# No control socket: nothing here uses gunicornc, and the app user has no writable home to put it in.
CMD ["gunicorn", "carecrm.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", "--access-logfile", "-", \
     "--no-control-socket"]
