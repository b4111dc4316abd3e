# smsbridge: mount the settings at /config and keep the data volume at /data.
#   docker build -t smsbridge .
#   docker run -v ./config:/config:ro -v smsbridge-data:/data -p 2525:2525 smsbridge
# The settings file should set [bridge] data_dir = "/data" and [smtp] host = "0.0.0.0".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SMSBRIDGE_CONFIG=/config/config.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bridge ./bridge
# pip compiles the bytecode here, once: the image is read-only to the bridge's user, so
# without it every start would compile the package and its dependencies from source (about
# 0.2 s of CPU, docs/benchmarks.md).
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin smsbridge \
 && mkdir -p /data /config \
 && chown smsbridge:smsbridge /data

USER smsbridge
VOLUME ["/data"]
EXPOSE 2525 8025
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8025/healthz', timeout=4)"
ENTRYPOINT ["smsbridge"]
CMD ["run"]
