#!/bin/sh
# PID 1 of the cgroup v2 guest (see run.sh). It runs twice: in the initramfs (stage 1) it loads the
# 9p/overlay/virtio modules and builds the root (the host's / read-only under a tmpfs overlay, the
# checkout shared read-write at its own path); after switch_root (stage 2) it mounts pure cgroup v2
# with every controller enabled, runs ctl/cmd.sh, leaves its status in ctl/rc and powers off.
R=/newroot B=/run/vm/busybox
fail() { echo "keel cgroup2 guest: $*"; sync; $B poweroff -f 2>/dev/null || poweroff -f; }
if [ "$1" != stage2 ]; then
  export PATH=/bin
  mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
  exec </dev/console >/dev/console 2>&1
  for m in $(cat /modules); do insmod /lib/modules/$m || fail "insmod $m"; done
  P=trans=virtio,version=9p2000.L,msize=512000
  mount -t 9p -o $P,ro,cache=loose hostroot /lower || fail "9p mount of the host root"
  mount -t tmpfs -o mode=755 tmpfs /rw && mkdir /rw/upper /rw/work
  mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay $R || fail overlay
  mount -t proc -o nosuid,nodev,noexec proc $R/proc
  mount -t sysfs -o nosuid,nodev,noexec sysfs $R/sys
  # What a systemd-less pure v2 host has: one cgroup2 mount, nsdelegate as systemd mounts it.
  mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $R/sys/fs/cgroup || fail cgroup2
  mount -t devtmpfs -o nosuid,mode=755 devtmpfs $R/dev
  mkdir -p $R/dev/pts $R/dev/shm $R/dev/mqueue
  mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=000 devpts $R/dev/pts
  mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs $R/dev/shm
  mount -t mqueue -o nosuid,nodev,noexec mqueue $R/dev/mqueue
  for f in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
    ln -sfn ${f#*:} $R/dev/${f%%:*}; done
  mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs $R/run
  mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs $R/tmp
  mkdir -p $R/run/lock $R/run/vm/ctl && cp /init /bin/busybox $R/run/vm/
  mount -t 9p -o $P ctl $R/run/vm/ctl || fail "9p mount of the control share"
  S=$(cat $R/run/vm/ctl/share)
  # cache=mmap: the checkout is written by both sides and must never look stale.
  mkdir -p "$R$S" && mount -t 9p -o $P,cache=mmap share "$R$S" || fail "9p mount of $S"
  umount /proc /sys; umount -l /dev
  exec switch_root $R $B sh /run/vm/init stage2
fi
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
$B hostname keel-cgroup2; $B ip link set lo up
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo +$c >/sys/fs/cgroup/cgroup.subtree_control; done
i=0; while :; do   # the ports get their names asynchronously
  for p in /sys/class/virtio-ports/*; do
    case $(cat $p/name 2>/dev/null) in stdout) stdout=/dev/${p##*/} ;; stderr) stderr=/dev/${p##*/} ;; esac
  done
  [ -c "$stdout" ] && [ -c "$stderr" ] && break
  i=$((i + 1)); [ $i -lt 100 ] || fail "virtio output ports missing"; $B sleep 0.05
done
$B env -i /bin/bash --noprofile --norc /run/vm/ctl/cmd.sh </dev/null >$stdout 2>$stderr
echo $? >/run/vm/ctl/rc.tmp && $B mv /run/vm/ctl/rc.tmp /run/vm/ctl/rc
sync; $B poweroff -f
