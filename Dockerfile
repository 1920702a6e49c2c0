# Referral Nudge: one image for the web server, the worker and the one-shot migration (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    DATABASE_URL=sqlite:////data/referral_nudge.db \
    PORT=3000

WORKDIR /app
# The pinned dependencies first, in their own layer: a code change doesn't reinstall them.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY domain ./domain
COPY handlers ./handlers
COPY services ./services
COPY storage ./storage
COPY views ./views
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home referral \
    && mkdir -p /data && chown referral:referral /data

# Not root: the process owns only its data directory.
USER referral
# The SQLite database (the default without DATABASE_URL) lives here and survives the container.
VOLUME ["/data"]
EXPOSE 3000 9464

# Ready when the database answers: /healthz says 200, or 503 (and then this exits 1).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

CMD ["referral-bot", "serve", "--http"]
