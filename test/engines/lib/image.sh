# Builds the lane's busybox image as a docker-archive tar, with no registry: /bin/busybox
# (busybox-static), a link for each applet, /etc/passwd and /etc/group. The same tar is loaded by
# `podman load`, `ctr images import` and `docker load`.
#   build_busybox_image OUT_TAR IMAGE_REF

build_busybox_image() {
  local out=$1 ref=$2 work
  work=$(mktemp -d "$T/image.XXXXXX")
  local root=$work/rootfs
  mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,root,home/user,data}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'user:x:1000:1000:user:/home/user:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'user:x:1000:' 'nogroup:x:65534:' >"$root/etc/group"
  chown 1000:1000 "$root/home/user"

  mkdir "$work/archive"
  tar --sort=name --numeric-owner -C "$root" -cf "$work/archive/layer.tar" .
  local diff_id config_id
  diff_id=sha256:$(sha256sum "$work/archive/layer.tar" | cut -d' ' -f1)
  cat >"$work/archive/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"2024-01-01T00:00:00Z","created_by":"keel engine lane: busybox-static"}]}
JSON
  config_id=$(sha256sum "$work/archive/config.json" | cut -d' ' -f1)
  mv "$work/archive/config.json" "$work/archive/$config_id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]\n' "$config_id" "$ref" >"$work/archive/manifest.json"
  tar -C "$work/archive" -cf "$out" manifest.json "$config_id.json" layer.tar
  rm -rf "$work"
}
