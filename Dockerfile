# The lineage tracker: the scheduler, the viewer, the command line, and (with the demo extra) the demo estate.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY lineage ./lineage
COPY collectors ./collectors
COPY store ./store
COPY viz ./viz
RUN pip install '.[demo]' && groupadd --gid 10001 lineage \
    && useradd --create-home --uid 10001 --gid 10001 lineage && mkdir -p /srv/lineage \
    && chown lineage:lineage /srv/lineage
# Numeric, so that a runtime can tell it is not root without reading /etc/passwd (runAsNonRoot).
USER 10001:10001
ENTRYPOINT ["lineage"]
CMD ["--help"]
