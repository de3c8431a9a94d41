# ARC — one image for every process (web, receiver, intake, worker, beat, video);
# docker-compose.yml picks the command. Settings come from the environment
# (docs/configuration.md); secrets from files (*_FILE, Docker secrets).
FROM python:3.11-slim

# gettext: compilemessages at build time. tini: PID 1 that forwards signals,
# so `docker stop` gives the receiver its SIGTERM (finish in-flight commits, then close).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext tini \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARC_VAR_DIR=/app/var \
    ARC_MEDIA_ROOT=/data/media

WORKDIR /app

# Dependencies first (a layer that changes only with pyproject.toml). The wheels
# bundle their native libraries (libpq, FFmpeg for PyAV, OpenCV, libvpx/opus for aiortc).
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
# Translations compiled and static files collected into the image; the load balancer
# serves /static/ from the shared volume the migrate job fills (docker-compose.yml).
RUN ARC_SECRET_KEY=build-only ARC_FIELD_KEY=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    python manage.py compilemessages --ignore '.venv' -v 0 \
 && ARC_SECRET_KEY=build-only ARC_FIELD_KEY=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 10001 --home /app arc \
 && mkdir -p /data/media /app/var \
 && chown -R arc /data /app/var \
 && rm -f /app/var/.arc_secret_key /app/var/.arc_field_key

USER arc
EXPOSE 8000 10001/tcp 10001/udp 8002
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/entrypoint.sh"]
CMD ["python", "manage.py", "run_web", "--bind", "0.0.0.0", "--port", "8000"]
