# The lineage tracker: the scheduler, the command line, and (with the demo extra) the demo estate.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY lineage ./lineage
COPY collectors ./collectors
COPY store ./store
COPY viz ./viz
RUN pip install '.[demo]' && useradd --create-home --uid 10001 lineage && mkdir -p /srv/lineage \
    && chown lineage /srv/lineage
USER lineage
ENTRYPOINT ["lineage"]
CMD ["--help"]
