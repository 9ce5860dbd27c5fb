# The pretenders server, with the web UI. Build: docker build -t pretenders .
# Run:   docker run -p 8000:8000 -e PRETENDERS_ADMIN_TOKEN=change-me pretenders
# Reached by another name than localhost or an IP address (a network alias, a CI host's
# name): add it, e.g. -e PRETENDERS_ALLOWED_HOSTS=pretenders,ci-host.example
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pretenders ./pretenders
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[ui]"

FROM python:3.12-slim
# The name other containers reach it by (docker run --name pretenders, or a compose
# service of that name); other names get 403 from the admin API and the UI.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRETENDERS_ALLOWED_HOSTS=pretenders
COPY --from=build /wheels /wheels
# The wheels were built just above, from this checkout: nothing else is fetched to pin.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-index --find-links=/wheels "pretenders[ui]" \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 pretenders
USER 10001
WORKDIR /home/pretenders
EXPOSE 8000
# The admin API and the UI ask for PRETENDERS_ADMIN_TOKEN when it is set (it should be:
# the server listens on every interface). The mock endpoints never ask for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
ENTRYPOINT ["pretenders"]
CMD ["--host", "0.0.0.0", "--port", "8000"]
