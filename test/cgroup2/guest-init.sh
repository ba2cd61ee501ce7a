#!/bin/sh
# PID 1 of the cgroup v2 guest (see run.sh). It runs twice: in the initramfs (stage 1) it loads the
# 9p/overlay/virtio modules and builds the root (the host's / read-only under a tmpfs overlay, the
# checkout shared read-write at its own path); after switch_root (stage 2) it mounts pure cgroup v2
# with every controller enabled, runs ctl/cmd.sh, leaves its status in ctl/rc and powers off; or,
# when ctl/systemd exists (make test-systemd), it execs systemd, whose keel-lane.service runs
# ctl/cmd.sh the same way.
R=/newroot B=/run/vm/busybox
fail() { echo "keel cgroup2 guest: $*"; sync; $B poweroff -f 2>/dev/null || poweroff -f; }
if [ "$1" != stage2 ] && [ "$1" != service ]; then
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
# The command of ctl/cmd.sh, its output on the virtio ports, its status in ctl/rc; then power off.
run_lane() {
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
}
# Under systemd (make test-systemd), the lane's service runs this script again to run the command.
[ "$1" = service ] && run_lane
$B hostname keel-cgroup2; $B ip link set lo up
if [ -e /run/vm/ctl/systemd ]; then
  # systemd as PID 1 (make test-systemd): the kernel command line names keel-lane.target, which
  # wants only the system bus and the lane's service (and, through their default dependencies,
  # sysinit.target). The host's enabled units stay off: nothing pulls multi-user.target in, and
  # what sysinit.target would start needlessly under emulation (udev, the pstore and time services)
  # is masked in the guest's /etc (the tmpfs overlay; the host's files are untouched).
  U=/etc/systemd/system
  # The host's /.dockerenv would make systemd take the VM for a container (and ignore the kernel
  # command line); it goes from the guest's view only.
  rm -f /.dockerenv
  for u in systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
    systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-pstore.service \
    systemd-timesyncd.service systemd-hwdb-update.service ldconfig.service systemd-firstboot.service; do
    $B ln -sfn /dev/null $U/$u; done
  printf '%s\n' '[Unit]' 'Description=keel test lane' 'Wants=dbus.socket keel-lane.service' >$U/keel-lane.target
  printf '%s\n' '[Unit]' 'Description=keel test lane (test/cgroup2/run.sh)' 'Wants=dbus.service' \
    'After=dbus.socket dbus.service' '[Service]' 'Type=oneshot' 'TimeoutStartSec=infinity' \
    'ExecStart=/run/vm/busybox sh /run/vm/init service' >$U/keel-lane.service
  exec /lib/systemd/systemd --unit=keel-lane.target
fi
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo +$c >/sys/fs/cgroup/cgroup.subtree_control; done
run_lane
