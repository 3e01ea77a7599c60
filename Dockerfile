# errcode: the Slack bot. Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT.
#   docker build -t errcode .
#   docker run -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN errcode                      # Socket Mode
#   docker run -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -p 3000:3000 errcode     # HTTP mode
# The image runs the same wheel `pip install` gives anyone: the catalog ships inside it.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY catalog ./catalog
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000 \
    ERRCODE_STORAGE_PATH=/var/lib/errcode/errcode.sqlite3

RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin errcode \
 && mkdir -p /var/lib/errcode && chown errcode /var/lib/errcode

# Dependencies first, from pyproject.toml alone: editing the code does not reinstall them.
COPY pyproject.toml /tmp/pyproject.toml
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt /tmp/pyproject.toml

COPY --from=wheel /wheels /wheels
RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels \
 && cd / && errcode --version && errcode catalog check

USER errcode
WORKDIR /var/lib/errcode
VOLUME ["/var/lib/errcode"]
EXPOSE 3000

# HTTP mode: GET /healthz must answer; in Socket Mode there is no port and the probe passes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["errcode", "probe"]

CMD ["errcode", "serve"]
