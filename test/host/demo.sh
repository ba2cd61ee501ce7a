#!/bin/bash
# The demo: a busybox bundle built from Debian's busybox-static, run with `keel run`.
# It shows the container's PID 1, its hostname and its mounts.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
keel="$here/dist/keel"
bundle="$here/build/demo-bundle"

bash "$here/test/host/ensure-packages.sh" busybox-static
rm -rf "$bundle"
mkdir -p "$bundle/rootfs"/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"

env -i PATH="$PATH" "$keel" spec --bundle "$bundle"
node -e '
  const fs = require("fs"), file = process.argv[1], spec = JSON.parse(fs.readFileSync(file, "utf8"));
  spec.hostname = "keel-demo";
  spec.process.terminal = false;
  spec.process.args = ["sh", "-c", "echo \"I am PID $$ in a container named $(hostname)\"; echo; echo \"Processes I can see:\"; ps; echo; echo \"My mounts:\"; cat /proc/self/mounts"];
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
' "$bundle/config.json"

echo "+ keel run --bundle $bundle keel-demo-$$"
exec env -i PATH="$PATH" "$keel" run --bundle "$bundle" "keel-demo-$$"
