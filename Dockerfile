# The trackersync cron container: `trackersync run --every 15m` until SIGTERM.
FROM python:3.11-slim

# The image only installs the package; the config and the state live outside it.
COPY pyproject.toml README.md /src/
COPY trackersync /src/trackersync
RUN pip install --no-cache-dir /src && rm -rf /src \
    && useradd --create-home --uid 10001 trackersync \
    && mkdir -p /data /config && chown trackersync /data

USER trackersync
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
