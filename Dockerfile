# Build a static sshchat binary (pure Go, no cgo) and run it as an
# unprivileged user in a distroless image (no shell, no package manager).
# /srv/sshchat/keys and /srv/sshchat/data are volumes so the host key and
# the chat's data survive rebuilds.
#
# Base images are pinned by digest so that a rebuilt image is the image that
# was reviewed; the comment above each FROM names the tag. These digests are
# ones that the tags have been published under (each is pinned by several
# unrelated public projects); no registry was reachable where they were
# written, so refresh them with `docker buildx imagetools inspect IMAGE:TAG`
# when you upgrade, and let Renovate or Dependabot keep them fresh.

# golang:1.26-bookworm
FROM golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The build context has no .git (.dockerignore), so the version, commit and
# date are stamped here: docker compose build passes them from the shell
# (see docker-compose.yml), `sshchat --version` prints them.
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/sshchat ./cmd/sshchat
# Folders owned by the runtime user, so fresh named volumes inherit owner
# and mode (the host key folder must be 0700).
RUN mkdir -p /out/srv/keys /out/srv/data && chmod 0700 /out/srv/keys /out/srv/data

# gcr.io/distroless/static-debian12:nonroot
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
COPY --from=build /out/sshchat /usr/local/bin/sshchat
COPY --from=build --chown=nonroot:nonroot /out/srv /srv/sshchat
WORKDIR /srv/sshchat
USER nonroot:nonroot
VOLUME ["/srv/sshchat/keys", "/srv/sshchat/data"]
# Metrics and health checks on loopback inside the container by default:
# the HEALTHCHECK reaches them, nobody outside does. Set SSHCHAT_METRICS=:9090
# and publish the port on a private address to scrape it.
ENV SSHCHAT_METRICS=127.0.0.1:9090
EXPOSE 2222
# /readyz: the process serves and its store takes writes. There is no curl
# in a distroless image; the binary probes itself.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/sshchat", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/sshchat"]
CMD ["--addr", ":2222", "--host-key", "/srv/sshchat/keys/ssh_host_ed25519", "--data", "/srv/sshchat/data"]
