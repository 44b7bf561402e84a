# Build a static sshchat binary (pure Go, no cgo) and run it as an
# unprivileged user. /srv/sshchat/keys and /srv/sshchat/data are volumes so
# the host key and the chat's data survive rebuilds.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sshchat ./cmd/sshchat
# Folders owned by the runtime user, so fresh named volumes inherit owner
# and mode (the host key folder must be 0700).
RUN mkdir -p /out/srv/keys /out/srv/data && chmod 0700 /out/srv/keys /out/srv/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sshchat /usr/local/bin/sshchat
COPY --from=build --chown=nonroot:nonroot /out/srv /srv/sshchat
WORKDIR /srv/sshchat
VOLUME ["/srv/sshchat/keys", "/srv/sshchat/data"]
EXPOSE 2222
ENTRYPOINT ["/usr/local/bin/sshchat"]
CMD ["--addr", ":2222", "--host-key", "/srv/sshchat/keys/ssh_host_ed25519", "--data", "/srv/sshchat/data"]
