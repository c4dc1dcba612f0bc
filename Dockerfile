# Runtime image: the same install as `make venv`, without the test extras.
# Build: docker build -t edge .   Run: docker run -p 8080:8080 -v $PWD/site:/site edge run /site/site.yaml --host 0.0.0.0
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    EDGE_CACHE=/var/lib/edge/cache EDGE_API_PORT=8080
# libgl is not needed (opencv-python-headless); libgomp is onnxruntime's OpenMP runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 edge \
    && mkdir -p /var/lib/edge/cache && chown -R edge /var/lib/edge

WORKDIR /app
COPY pyproject.toml README.md ./
COPY edge ./edge
COPY api ./api
COPY models/manifest.yaml ./models/manifest.yaml
COPY sample_videos ./sample_videos
COPY zones ./zones
# Editable like the Makefile: the manifests stay in /app/models and /app/sample_videos.
RUN pip install --no-cache-dir -e . && mkdir -p /app/models/cache && chown -R edge /app/models/cache

USER edge
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${EDGE_API_PORT}/v1/health" || exit 1
ENTRYPOINT ["edge"]
CMD ["run", "/app/zones/demo-site.yaml", "--host", "0.0.0.0"]
