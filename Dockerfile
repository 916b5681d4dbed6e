# The trackersync cron container: `trackersync run --every 15m` until SIGTERM.
FROM python:3.11-slim

# Dependencies first, from the lock file (pinned and hashed: every build installs the
# same bytes), in a layer of their own so a code change does not reinstall them.
# tests/e2e/test_container_install.py performs these pip steps in a fresh virtualenv.
COPY deploy/requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.lock

# The package itself, built by the locked setuptools: nothing unpinned is fetched.
# The config and the state live outside the image.
COPY pyproject.toml README.md /src/
COPY trackersync /src/trackersync
RUN pip install --no-cache-dir --no-deps --no-build-isolation /src && pip check \
    && rm -rf /src /tmp/requirements.lock \
    && useradd --create-home --uid 10001 trackersync \
    && mkdir -p /data /config && chown trackersync /data

# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001
WORKDIR /data
VOLUME ["/data"]

# Mount the config at /config/trackersync.yaml; pass secrets as environment variables.
ENV TRACKERSYNC_CONFIG=/config/trackersync.yaml \
    TRACKERSYNC_STATE=sqlite:////data/trackersync.db \
    PYTHONUNBUFFERED=1

# Healthy while a cycle succeeded within the last hour (4 cycles at the default pace).
HEALTHCHECK --interval=5m --timeout=30s --start-period=20m \
    CMD ["trackersync", "health", "--max-age", "1h"]

# `docker stop` sends SIGTERM: the current cycle finishes, then the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["trackersync"]
CMD ["run", "--every", "15m"]
