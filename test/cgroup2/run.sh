#!/bin/bash
# make test-cgroup2: keel's cgroup tests on a real pure cgroup v2 kernel. This project's machines
# are hybrid (v1 controllers), and their KVM boots only paravirtualized kernels, so this boots
# Debian's stock kernel in QEMU with software emulation (TCG), cgroup_no_v1=all, the host's / as a
# read-only 9p lower layer under a tmpfs overlay, and this checkout shared read-write at its own
# path. The guest runs test/cgroup2/in-guest.sh (the tests, or with `bench` bench/run.sh: make
# bench-cgroup2) or the command after --, and this script exits with its status: 124 on timeout,
# 125 when the VM itself fails. qemu is killed by PID on every way out.
#
#   test/cgroup2/run.sh [tests] [VITEST ARG]...  |  run.sh bench [RUNS]  |  run.sh -- COMMAND [ARG]...
#
# KEEL_VM_SYSTEMD=1 boots systemd as the guest's PID 1 (with the system bus: make test-systemd).
# Knobs: KEEL_VM_MEM (MB, default 2048; bench 4096), KEEL_VM_CPUS (2), KEEL_VM_TIMEOUT (s, 1200;
# bench 3600; systemd 2700),
# KEEL_VM_CACHE (/var/tmp/keel-cgroup2-vm: initramfs and uncompressed kernel), KEEL_VM_KERNEL (a
# version under /boot; default the newest with modules), KEEL_VM_CONSOLE=1 (kernel log to stderr).
set -euo pipefail
die() { echo "test-cgroup2: $*" >&2; exit 125; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
MEM=${KEEL_VM_MEM:-2048} CPUS=${KEEL_VM_CPUS:-2} TIMEOUT=${KEEL_VM_TIMEOUT:-1200}
CACHE=${KEEL_VM_CACHE:-/var/tmp/keel-cgroup2-vm} CONSOLE=${KEEL_VM_CONSOLE:-0} SYSTEMD=${KEEL_VM_SYSTEMD:-0}
if [[ ${1:-} == -- ]]; then shift; CMD=("$@"); else CMD=(bash test/cgroup2/in-guest.sh "$@"); fi
# The benchmark runs ~100 waiting containers and 50 concurrent Node starts, for a long while.
[[ ${1:-} == bench ]] && MEM=${KEEL_VM_MEM:-4096} TIMEOUT=${KEEL_VM_TIMEOUT:-3600}
# make test-systemd runs two engines' scenarios on two runtimes after its tests.
[[ $SYSTEMD == 1 ]] && TIMEOUT=${KEEL_VM_TIMEOUT:-2700}
[[ ${#CMD[@]} -gt 0 ]] || die "usage: test/cgroup2/run.sh [-- COMMAND [ARG]...]"

# ---- host prerequisites: root (the host's / is exported with 9p passthrough) and the packages
[[ $EUID -eq 0 ]] || die "must run as root: the host's / is shared with the guest with 9p passthrough"
bash "$REPO/test/host/ensure-packages.sh" qemu-system-x86 linux-image-amd64 busybox-static cpio kmod xz-utils util-linux
# The guest sees the host's /, so systemd and the system bus it boots are the host's packages.
[[ $SYSTEMD == 1 ]] && bash "$REPO/test/host/ensure-packages.sh" systemd dbus dbus-daemon dbus-bin
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 is missing after installing qemu-system-x86"
BUSYBOX=/bin/busybox
[[ $(LC_ALL=C ldd "$BUSYBOX" 2>&1) =~ "not a dynamic"|statically ]] || die "$BUSYBOX is not static: apt-get install busybox-static"
KVER=${KEEL_VM_KERNEL:-$(for k in /boot/vmlinuz-*; do v=${k#/boot/vmlinuz-}
  [[ -f /lib/modules/$v/modules.dep ]] && echo "$v"; done | sort -V | tail -n1)}
[[ -n $KVER && -r /boot/vmlinuz-$KVER && -f /lib/modules/$KVER/modules.dep ]] ||
  die "no bootable kernel ${KVER:+$KVER }(/boot/vmlinuz-V with /lib/modules/V): apt-get install linux-image-amd64"
mkdir -p "$CACHE"

# ---- the initramfs, cached per kernel and per version of guest-init.sh ---------------------
MODULES=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
TAG=$(cat <(echo "$KVER ${MODULES[*]}") "$HERE/guest-init.sh" "$BUSYBOX" | sha256sum | cut -c1-12)
INITRD=$CACHE/initrd-$KVER-$TAG.cpio.gz
if [[ ! -s $INITRD ]]; then
  D=$(mktemp -d "$CACHE/build.XXXXXX")
  mkdir -p "$D"/{bin,lib/modules,proc,sys,dev,lower,rw,newroot}
  cp "$BUSYBOX" "$D/bin/busybox"
  for a in sh mount umount insmod mkdir cat cp ln switch_root poweroff; do ln -s busybox "$D/bin/$a"; done
  # Each module after the ones it needs, decompressed (busybox insmod reads plain .ko files).
  for m in "${MODULES[@]}"; do
    modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
    [[ ${PIPESTATUS[0]} -eq 0 ]] || die "kernel $KVER has no module $m"
  done | awk '!seen[$0]++' | while read -r ko; do
    b=$(basename "$ko"); b=${b%.xz}; b=${b%.zst}
    case $ko in *.xz) xz -dc "$ko" ;; *.zst) zstd -qdc "$ko" ;; *) cat "$ko" ;; esac >"$D/lib/modules/$b"
    echo "$b" >>"$D/modules"
  done
  install -m 755 "$HERE/guest-init.sh" "$D/init"
  (cd "$D" && find . | cpio -o -H newc --quiet | gzip -1) >"$D.gz" && mv "$D.gz" "$INITRD"
  rm -rf "$D"
  for f in "$CACHE/initrd-$KVER-"*; do [[ $f == "$INITRD" ]] || rm -f "$f"; done
fi

# ---- the kernel, uncompressed: QEMU boots the ELF through its PVH entry, and TCG would
# otherwise spend ~7 s decompressing the bzImage at every boot. The bzImage boots too, slower.
KERNEL=$CACHE/vmlinux-$KVER
if [[ ! -s $KERNEL ]]; then
  off=$(LC_ALL=C grep -aobUP '\xfd7zXZ\x00' "/boot/vmlinuz-$KVER" | head -n1 | cut -d: -f1 || true)
  T=$(mktemp "$KERNEL.XXXXXX")
  { tail -c +$((${off:-0} + 1)) "/boot/vmlinuz-$KVER" | xz -dcq --single-stream >"$T"; } 2>/dev/null || true
  if [[ -n $off && $(head -c4 "$T") == $'\x7fELF' ]]; then mv "$T" "$KERNEL"; else rm -f "$T"; KERNEL=/boot/vmlinuz-$KVER; fi
fi

# ---- this run: a control share for the command and its status, and the output files
find "$CACHE" -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} +   # left by a SIGKILLed run
RUN=$(mktemp -d "$CACHE/run.XXXXXX")
QPID='' WPID='' TPIDS=()
cleanup() {   # only the processes this script started, by PID
  set +e
  if [[ -n $QPID ]]; then kill -KILL "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; fi
  for p in "${TPIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$RUN"
}
trap cleanup EXIT
for s in INT:130 TERM:143 HUP:129; do trap "echo 'test-cgroup2: interrupted' >&2; exit ${s#*:}" "${s%:*}"; done
mkdir "$RUN/ctl"
[[ $SYSTEMD == 1 ]] && : >"$RUN/ctl/systemd"
printf '%s\n' "$REPO" >"$RUN/ctl/share"
{
  # The guest sees the host's files, so the host's PATH (node, npx) works there.
  printf 'export PATH=%q HOME=/root TERM=dumb LANG=C.UTF-8 CI=%q\n' "${PATH}:/usr/sbin:/usr/bin:/sbin:/bin" "${CI:-}"
  # The guest's output is a virtio port, never a terminal: colour follows this script's stdout.
  if [[ -t 1 ]]; then echo 'export FORCE_COLOR=1'; else echo 'export NO_COLOR=1'; fi
  printf 'cd %q || exit 125\nexec' "$REPO"; printf ' %q' "${CMD[@]}"; echo
} >"$RUN/ctl/cmd.sh"
: >"$RUN/stdout"; : >"$RUN/stderr"; : >"$RUN/console.log"

# No v1 controllers at all; then TCG speed-ups: PCI without the (interpreted) ACPI tables, no
# crypto self-tests, and the TSC as clocksource so clock_gettime stays in the vDSO.
KCMD="console=ttyS0 panic=-1 cgroup_no_v1=all pci=noacpi cryptomgr.notests tsc=reliable"
[[ $CONSOLE == 1 ]] || KCMD+=" quiet"
[[ $SYSTEMD == 1 ]] && KCMD+=" systemd.unit=keel-lane.target systemd.show_status=1"
q() { printf '%s' "${1//,/,,}"; }   # qemu option-value escaping
CON="file,id=con,path=$(q "$RUN/console.log")"
[[ $CONSOLE == 1 ]] && CON="file,id=con,path=/proc/self/fd/3,append=on"
QARGS=(-nodefaults -no-user-config -display none -no-reboot
  -accel tcg,thread=multi -cpu max -smp "$CPUS" -m "$MEM"
  -kernel "$KERNEL" -initrd "$INITRD" -append "$KCMD"
  -chardev "$CON" -serial chardev:con
  -device virtio-serial-pci,id=vser
  -chardev "file,id=out,path=$(q "$RUN/stdout")" -device virtserialport,bus=vser.0,chardev=out,name=stdout
  -chardev "file,id=err,path=$(q "$RUN/stderr")" -device virtserialport,bus=vser.0,chardev=err,name=stderr
  # multidevs=remap: without it the guest merges host directories that share an inode number
  # (/proc and /sys are both inode 1), and /proc/self/exe goes missing.
  -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap
  -virtfs "local,path=$(q "$RUN/ctl"),mount_tag=ctl,security_model=passthrough"
  -virtfs "local,path=$(q "$REPO"),mount_tag=share,security_model=passthrough,multidevs=remap")
[[ -f /usr/share/qemu/qboot.rom ]] && QARGS+=(-bios /usr/share/qemu/qboot.rom)   # no iPXE, fast

echo "test-cgroup2: booting $KVER (QEMU TCG, $CPUS vCPUs, $MEM MB, pure cgroup v2$([[ $SYSTEMD == 1 ]] && echo ', systemd as PID 1')) with $REPO shared" >&2
START=$SECONDS
# --pdeathsig: qemu dies with this script even when it is SIGKILLed and cannot run its trap.
setpriv --pdeathsig KILL -- "$QEMU" "${QARGS[@]}" </dev/null 3>&2 2>"$RUN/qemu.log" &
QPID=$!
tail -q -s 0.1 --pid="$QPID" -c +1 -f "$RUN/stdout" & TPIDS+=($!)
tail -q -s 0.1 --pid="$QPID" -c +1 -f "$RUN/stderr" >&2 & TPIDS+=($!)
if [[ $TIMEOUT -gt 0 ]]; then setpriv --pdeathsig KILL -- sleep "$TIMEOUT" & WPID=$!; TPIDS+=($WPID); fi
DONE=''; wait -n -p DONE "$QPID" $WPID || true
if [[ $DONE != "$QPID" ]]; then
  echo "test-cgroup2: no result after ${TIMEOUT}s, killing the guest" >&2
  kill -KILL "$QPID" 2>/dev/null || true
fi
QRC=0; wait "$QPID" 2>/dev/null || QRC=$?
QPID=''
wait "${TPIDS[@]:0:2}" 2>/dev/null || true   # the tails' last read, after qemu is gone
echo "test-cgroup2: the guest ran for $((SECONDS - START)) s" >&2
[[ $DONE == "$WPID" && -n $WPID ]] && exit 124
[[ -s $RUN/ctl/rc ]] && exit "$(<"$RUN/ctl/rc")"
echo "test-cgroup2: the guest did not report an exit status (qemu exit $QRC)" >&2
sed 's/^/  qemu: /' "$RUN/qemu.log" >&2
[[ $CONSOLE == 1 ]] || tail -n 30 "$RUN/console.log" | sed 's/^/  console: /' >&2
exit 125
