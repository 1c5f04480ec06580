# shellcheck shell=bash
# The busybox test image, imported in each VM.
# Sourced by test/vm/vm.sh (its globals and config are set there).

busybox_key() {
  { echo "$SCRIPT_VERSION busybox-1"; sha256sum /bin/busybox; } | sha256sum | cut -c1-16
}

build_busybox_tar() {
  local out=$1 tmp r a
  tmp=$(mktemp -d "$CACHE_ROOT/vm/img.XXXXXX")
  r=$tmp/busybox
  mkdir -p "$r/bin" "$r/www" "$r/tmp" "$r/etc"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do
    [[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
  done
  echo '<html><body>dockfleet vm busybox</body></html>' >"$r/www/index.html"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  tar -C "$r" --numeric-owner -cf "$tmp/busybox.tar" .
  mv "$tmp/busybox.tar" "$out"
  rm -rf "$tmp"
}

ensure_images() {
  local key tar h cur
  key=$(busybox_key)
  tar=$CACHE_ROOT/vm/img-busybox-$key.tar
  mkdir -p "$CACHE_ROOT/vm"
  [[ -f $tar ]] || build_busybox_tar "$tar"
  for h in "${HOSTS[@]}"; do
    cur=$(hssh "$h" "docker image inspect -f '{{index .Config.Labels \"dockfleet.sandbox.key\"}}' $IMG_BUSYBOX 2>/dev/null" || true)
    [[ $cur == "$key" ]] && continue
    hssh "$h" "docker import --change 'CMD [\"sh\"]' --change 'LABEL dockfleet.sandbox.key=$key' - $IMG_BUSYBOX >/dev/null" <"$tar" ||
      die "$h: docker import failed"
  done
}
