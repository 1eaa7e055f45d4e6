# syntax=docker/dockerfile:1
# One image for every role: `sift serve`, `sift collector`, `sift worker`, `sift api`.
#   docker build -t sift .
#   docker run -p 8080:8080 -v sift-data:/data sift serve --listen 0.0.0.0:8080

# --- build -------------------------------------------------------------------------------------
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so a source change does not rebuild them: the manifests, then the code.
# `.cargo/config.toml` (compiled for the building CPU) is left out: the image runs on any
# machine of its platform.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p sift \
    && cp target/release/sift /usr/local/bin/sift \
    && strip /usr/local/bin/sift

# --- run ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home sift
COPY --from=build /usr/local/bin/sift /usr/local/bin/sift
USER sift
WORKDIR /data
# The embedded defaults keep SQLite and state here; cluster roles use Redis and PostgreSQL.
VOLUME ["/data"]
EXPOSE 8080
ENV SIFT_SERVER__DATA_DIR=/data
# GET /health answers 200 while the role can do its job (bash, no curl needed).
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s CMD ["bash", "-c", \
    "exec 3<>/dev/tcp/127.0.0.1/${SIFT_HEALTH_PORT:-8080} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sift"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
