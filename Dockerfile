# syntax=docker/dockerfile:1
# routeguard's container image: a static musl binary on distroless, run as a non-root user.
#
#   docker build -t routeguard .
#   docker run --rm -v "$PWD:/src" routeguard lint .
#
# The build stage runs on the build machine's platform and cross-compiles for the image's
# (TARGETARCH), so a multi-platform build (linux/amd64,linux/arm64) needs no emulation: the
# dependencies are pure Rust, and rust-lld links a static musl binary for either architecture.

ARG RUST_VERSION=1
FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-slim-bookworm AS build
ARG TARGETARCH
# `routeguard --version` names this commit ("3f2c1ab0e 2026-12-06"); the build context has no .git.
ARG ROUTEGUARD_COMMIT=""
WORKDIR /build
RUN case "$TARGETARCH" in \
      amd64) echo x86_64-unknown-linux-musl ;; \
      arm64) echo aarch64-unknown-linux-musl ;; \
      *) echo "no routeguard image for $TARGETARCH" >&2; exit 1 ;; \
    esac > /rust-target \
    && rustup target add "$(cat /rust-target)"
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target,id=routeguard-target-$TARGETARCH \
    target="$(cat /rust-target)" \
    && ROUTEGUARD_COMMIT="$ROUTEGUARD_COMMIT" \
       CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
       CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
       cargo build --locked --profile dist --target "$target" \
    && cp "target/$target/dist/routeguard" /routeguard

# distroless/static: no shell, no package manager, CA certificates and a `nonroot` user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /routeguard /usr/local/bin/routeguard
USER nonroot:nonroot
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/routeguard"]
CMD ["lint", "."]
