# syntax=docker/dockerfile:1
# CourseOps image: one image for every process (web, workers, beat, migrate); the command
# picks the process. Build: `docker build -t courseops:1.0 .` (docs/deploy.md).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the virtualenv, from wheels only (no compiler needed) ----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --only-binary=:all: -r /tmp/requirements.txt \
    # imageio-ffmpeg's wheel carries a static ffmpeg: the lesson audio pipeline finds it
    # through imageio_ffmpeg.get_ffmpeg_exe(); the link puts it on PATH for operators.
    && ln -s "$(python -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" \
        /opt/venv/bin/ffmpeg \
    && ffmpeg -hide_banner -version

# --- runtime: the system libraries WeasyPrint and backups need, the venv, the code -----
FROM ${PYTHON_IMAGE} AS runtime
# WeasyPrint (lesson PDFs, weekly reports): Pango, HarfBuzz's subsetter and fonts with
# Spanish accents. pg_dump/pg_restore (postgresql-client, 15 on bookworm) for the nightly
# backup task, which runs on a worker. Debian's stable versions are not pinned: bookworm
# only ships security fixes, and an exact pin breaks the build when one lands.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 fontconfig \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 courseops \
    && useradd --system --uid 10001 --gid courseops --home-dir /app --shell /usr/sbin/nologin courseops \
    && mkdir -p /data/media /data/backups \
    && chown -R courseops:courseops /data

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COURSEOPS_ENV=production \
    COURSEOPS_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media \
    BACKUP_DIR=/data/backups \
    WEB_CONCURRENCY=3

WORKDIR /app
COPY --chown=root:root . /app
# Static files are collected (hashed and compressed for WhiteNoise) at build, with a
# throw-away key: production settings refuse to load without one, and collectstatic needs
# no database and no real secret.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && python -m compileall -q courseops students webinars content engagement marketing surveys \
    && mkdir -p /app/var \
    && chown courseops:courseops /app/var

USER 10001:10001
EXPOSE 8000
VOLUME ["/data"]
# gunicorn reads WEB_CONCURRENCY for its number of sync workers. The timeout leaves room for
# a recording uploaded in the admin (up to WEBINAR_RECORDING_MAX_MB) through a proxy that
# streams the body instead of buffering it. Workers and beat override the command:
# celery -A courseops worker -Q critical,default | beat (compose.yaml, deploy/k8s).
CMD ["gunicorn", "courseops.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "300", "--graceful-timeout", "30"]
