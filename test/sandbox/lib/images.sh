# shellcheck shell=bash
# The local container images (busybox, registry), built here and imported on every host.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

images_key() {
  { echo "$SCRIPT_VERSION images-2"; sha256sum /bin/busybox /usr/bin/docker-registry; dpkg-query -W docker-registry busybox-static; } \
    | sha256sum | cut -c1-16
}

build_images() {
  local key=$1 tmp r lib
  tmp=$(mktemp -d "$CACHE/img.XXXXXX")
  # busybox: all applets as links, a web root for httpd.
  r=$tmp/busybox
  mkdir -p "$r/bin" "$r/www" "$r/tmp" "$r/etc"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do
    [[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
  done
  echo '<html><body>dockfleet sandbox busybox</body></html>' >"$r/www/index.html"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  tar -C "$r" --numeric-owner -cf "$tmp/busybox.tar" .
  # registry: Debian's docker-registry binary + the libs ldd names + CA bundle.
  r=$tmp/registry
  mkdir -p "$r/usr/bin" "$r/bin" "$r/etc/docker/registry" "$r/etc/ssl/certs" "$r/var/lib/registry" "$r/tmp"
  cp /usr/bin/docker-registry "$r/usr/bin/docker-registry"
  ln -s /usr/bin/docker-registry "$r/bin/registry"
  # sh + wget for healthchecks, as the official (alpine-based) registry image has them.
  cp /bin/busybox "$r/bin/busybox"
  ln -s busybox "$r/bin/sh"
  ln -s busybox "$r/bin/wget"
  while read -r lib; do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done < <(ldd /usr/bin/docker-registry | grep -oE '/[^ ]+' | sort -u)
  cp -L /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/ca-certificates.crt"
  printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/bin/false\n' >"$r/etc/passwd"
  # No storage section: storage comes from REGISTRY_STORAGE* env.
  cat >"$r/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  level: info
  fields:
    service: registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
YAML
  chmod 1777 "$r/tmp"
  tar -C "$r" --numeric-owner -cf "$tmp/registry.tar" .
  mv "$tmp/busybox.tar" "$CACHE/img-busybox-$key.tar"
  mv "$tmp/registry.tar" "$CACHE/img-registry-$key.tar"
  rm -rf "$tmp"
}

# import_image HOST TAR TAG CHANGE...
import_image() {
  local h=$1 tar=$2 tag=$3 key=$4
  shift 4
  local cur args=(docker import)
  cur=$(hssh "$h" "docker image inspect -f '{{index .Config.Labels \"dockfleet.sandbox.key\"}}' $tag 2>/dev/null" || true)
  [[ $cur == "$key" ]] && return 0
  local c
  for c in "$@" "LABEL dockfleet.sandbox.key=$key"; do args+=(--change "$c"); done
  args+=(- "$tag")
  hssh "$h" "$(printf '%q ' "${args[@]}") >/dev/null" <"$tar"
}

ensure_images() {
  local key pids=() h rc=0 p
  key=$(images_key)
  mkdir -p "$CACHE"
  if [[ ! -f $CACHE/img-busybox-$key.tar || ! -f $CACHE/img-registry-$key.tar ]]; then
    build_images "$key"
  fi
  for h in "${HOSTS[@]}"; do
    (
      # Retried: a test may be restarting this host's dockerd right now.
      for try in 1 2 3 4 5; do
        if import_image "$h" "$CACHE/img-busybox-$key.tar" "$IMG_BUSYBOX" "$key" 'CMD ["sh"]' \
          && import_image "$h" "$CACHE/img-registry-$key.tar" "$IMG_REGISTRY" "$key" \
            'ENTRYPOINT ["/bin/registry"]' 'CMD ["serve", "/etc/docker/registry/config.yml"]' \
            'EXPOSE 5000/tcp' 'VOLUME ["/var/lib/registry"]'; then
          exit 0
        fi
        log "   $h: image import failed (try $try), retrying"
        sleep 3
      done
      exit 1
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "image import failed"
}
