# keel build. `make` builds everything into dist/; `make test` runs the default test suite.
SHELL := /bin/bash
PREFIX ?= /usr/local
CC ?= gcc
CFLAGS ?= -O2 -g0 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2

INIT_SRCS := $(wildcard native/init/*.c)
INIT_HDRS := $(wildcard native/init/*.h native/include/*.h)
TS_SRCS := $(shell find src -name '*.ts' -o -name '*.mjs' 2>/dev/null)
SCHEMAS := $(wildcard spec-schemas/*.json)

.PHONY: all deps host-deps native install uninstall test test-unit test-integration test-engines test-rootless test-reliability test-cgroup2 test-systemd test-checkpoint bench bench-cgroup2 demo clean typecheck lint format

all: dist/keel dist/containerd-shim-keel-v1

deps: node_modules/.package-lock.json
# `npm install`, not `npm ci`: the npm on these machines writes lockfiles without other platforms'
# optional packages and then refuses them in `npm ci`; install honours the lockfile all the same.
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

native: dist/keel-init dist/libkeel.so

# keel-init is static: it runs from a memfd inside the container, before the container's own
# libraries could be trusted or even exist. It is linked with musl (Debian's musl-tools, installed
# here when run as root): a created container's waiting init then holds ~100 KiB (PSS) instead of
# ~580 KiB with glibc's static libc, which is the fallback (and `make NO_MUSL=1`). musl brings no
# kernel headers, so the host's uapi ones (linux/, asm/, asm-generic/) are linked into
# build/musl-include for it.
dist/keel-init: $(INIT_SRCS) $(INIT_HDRS) | build/musl-include/linux
	@mkdir -p dist
	@[ -n "$(NO_MUSL)" ] || bash test/host/ensure-packages.sh --if-root musl-tools
	if [ -z "$(NO_MUSL)" ] && command -v musl-gcc >/dev/null; then \
		musl-gcc -isystem build/musl-include $(CFLAGS) -static -s -o $@ $(INIT_SRCS); \
	else \
		$(CC) $(CFLAGS) -static -s -o $@ $(INIT_SRCS); \
	fi

build/musl-include/linux:
	mkdir -p build/musl-include
	ln -sfn /usr/include/$$($(CC) -print-multiarch)/asm build/musl-include/asm
	ln -sfn /usr/include/asm-generic build/musl-include/asm-generic
	ln -sfn /usr/include/linux $@

dist/libkeel.so: native/lib/libkeel.c native/include/keel-scm.h native/include/keel-openat2.h
	@mkdir -p dist
	$(CC) $(CFLAGS) -shared -fPIC -s -o $@ $<

build/generated/validators.mjs: $(SCHEMAS) src/build/compile-schemas.mjs | deps
	node src/build/compile-schemas.mjs build/generated

# Syscall numbers for the seccomp compiler, from this machine's kernel headers.
build/generated/syscalls.mjs: src/build/gen-syscalls.mjs
	node src/build/gen-syscalls.mjs build/generated

# keel is CommonJS, not ES modules: Node starts a CommonJS file several ms sooner (no ES module
# loader, no module facades), and engines start keel many times per container. keel.cjs, small,
# runs the light verbs (state, list, start, kill, delete) in their plain shapes itself, and loads
# keel-spawn.cjs for create, run and exec in theirs, keel-full.cjs for anything else (src/cli/entry.ts).
# keel.mjs is kept for whoever runs that name: it loads keel.cjs. keel.cjs is minified (names
# kept): Node compiles it at every start, and fewer bytes are ~0.5 ms less of that.
ESBUILD_CJS := npx esbuild --bundle --platform=node --format=cjs --target=node20 --external:ffi-rs \
	--alias:string-width=./src/cli/string-width.ts --log-level=warning --inject:src/build/import-meta-url.cjs.js --define:import.meta=importMeta

# keel.cjs names the node that built it, as pip does in the scripts it installs: an engine's PATH
# may lack node's directory (containerd's shim passes its own), and `#!/usr/bin/env node` would
# cost every start one more exec. The code cache is made by the same node: V8 takes a cache only
# from its own version, under the same flags. (A larger young generation, which would spare a
# `run` its two scavenges, cost more in page faults than it saved: measured, not adopted.)
NODE := $(shell command -v node)

# keel-full.cjs (main.ts: yargs and every verb) and keel-spawn.cjs (spawn-entry.ts: create, run
# and exec in the shapes engines send, without yargs) each start with a random build id line, which their
# V8 code cache (.cache, made right after, with every function compiled) repeats: keel.cjs uses a
# cache only when the two match (src/cli/code-bundle.ts). Both are minified like keel.cjs (names
# kept, so stacks still name their functions).
BUNDLE_DEPS := $(TS_SRCS) src/build/import-meta-url.cjs.js src/build/code-cache.mjs build/generated/validators.mjs build/generated/syscalls.mjs
dist/keel-full.cjs: ENTRY := src/cli/main.ts
dist/keel-spawn.cjs: ENTRY := src/cli/spawn-entry.ts
dist/keel-full.cjs dist/keel-spawn.cjs: $(BUNDLE_DEPS) | deps
	@mkdir -p dist
	rm -f $(@:.cjs=.cache)
	$(ESBUILD_CJS) --minify-whitespace --minify-syntax $(ENTRY) --outfile=$@ --banner:js="// keel build $$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
	$(NODE) src/build/code-cache.mjs $@ $(@:.cjs=.cache)

dist/keel.cjs: $(TS_SRCS) src/build/import-meta-url.cjs.js build/generated/validators.mjs build/generated/syscalls.mjs | deps
	@mkdir -p dist
	$(ESBUILD_CJS) --minify-whitespace --minify-syntax src/cli/entry.ts --outfile=$@ --banner:js='#!$(NODE)'
	chmod +x $@

# keel-systemd.cjs: the systemd cgroup driver and its D-Bus client (src/cgroups/systemd-host.ts),
# required only for a container made with --systemd-cgroup, so no other call loads or compiles it.
dist/keel-systemd.cjs: $(TS_SRCS) src/build/import-meta-url.cjs.js | deps
	@mkdir -p dist
	$(ESBUILD_CJS) --minify-whitespace --minify-syntax src/cgroups/systemd-host.ts --outfile=$@

dist/keel.mjs: Makefile
	@mkdir -p dist
	printf '#!$(NODE)\n// keel is dist/keel.cjs; this name is kept for whoever runs it.\nimport "./keel.cjs";\n' >$@
	chmod +x $@

# ffi-rs's native addon cannot be bundled; dist/ carries its own copy so that an installed keel
# does not depend on this checkout (src/native/libkeel.ts loads the addon directly).
FFI_ADDON := dist/node_modules/@yuuang/ffi-rs-linux-x64-gnu/package.json
$(FFI_ADDON): | deps
	mkdir -p dist/node_modules/@yuuang
	cp -r node_modules/@yuuang/ffi-rs-linux-x64-gnu dist/node_modules/@yuuang/

# dist/keel is a small static launcher (native/launch/keel.c) that records the caller's open fds
# before it execs node on keel.cjs: Node's start changes the fd table, and --preserve-fds must pass
# exactly the caller's fds. Linked like keel-init (musl when present): it adds ~0.13 ms to a call
# (500 runs in front of a static program, on this project's 2-core VM), against Node's ~40 ms start.
# It runs $(NODE), the node keel.cjs's #! line names; flags added to that line must be added here too.
dist/keel: native/launch/keel.c dist/keel.cjs dist/keel-full.cjs dist/keel-spawn.cjs dist/keel-systemd.cjs dist/keel.mjs dist/keel-init dist/libkeel.so $(FFI_ADDON) | build/musl-include/linux
	rm -f $@
	if [ -z "$(NO_MUSL)" ] && command -v musl-gcc >/dev/null; then \
		musl-gcc $(CFLAGS) -DKEEL_NODE='"$(NODE)"' -static -s -o $@ $<; \
	else \
		$(CC) $(CFLAGS) -DKEEL_NODE='"$(NODE)"' -static -s -o $@ $<; \
	fi

# The Node/V8 flags of the long-lived shim (compiled into the static `start`, which puts them
# before the bundle on node's command line). --lite-mode (no optimizing compiler: ~5 MB less of
# node's code touched) and --v8-pool-size=1 (3 threads fewer) cut its RSS from ~53 to ~48 MB with
# no slower `ctr run`; the other flags tried changed nothing (docs/containerd-shim.md, "Memory").
SHIM_NODE_FLAGS ?= --lite-mode --v8-pool-size=1
# Rewritten only when the flags change, so that changing them rebuilds the bundle.
build/shim-node-flags: FORCE
	@mkdir -p build
	@[ "$$(cat $@ 2>/dev/null)" = '$(SHIM_NODE_FLAGS)' ] || printf '%s' '$(SHIM_NODE_FLAGS)' >$@
FORCE:

# containerd-shim-keel-v1: keel as a containerd runtime v2 shim (src/shim/). containerd runs it by
# that name: a small static program (native/launch/shim.c, linked like dist/keel) that answers
# `start` itself, before any Node starts, and execs node on containerd-shim-keel-v1.cjs beside it
# for everything else (the long-lived shim, delete). The .cjs imports keel's modules and runs from
# dist/ beside keel-init and libkeel.so; its extension tells Node it is CommonJS (this checkout's
# package.json says "module"). rm first: the name was a link to the .cjs file once.
# It starts the long-lived shim as $(NODE) $(SHIM_NODE_FLAGS) containerd-shim-keel-v1.cjs ...
SHIM_DEFINES = -DKEEL_NODE='"$(NODE)"' -DKEEL_SHIM_NODE_FLAGS='"$(SHIM_NODE_FLAGS)"'
SHIM_SRCS := native/launch/shim.c native/launch/shim-rules.c native/launch/json-scan.c native/launch/sha256.c
dist/containerd-shim-keel-v1: $(SHIM_SRCS) $(wildcard native/launch/*.h) dist/containerd-shim-keel-v1.cjs build/shim-node-flags | build/musl-include/linux
	rm -f $@
	if [ -z "$(NO_MUSL)" ] && command -v musl-gcc >/dev/null; then \
		musl-gcc $(CFLAGS) $(SHIM_DEFINES) -static -s -o $@ $(SHIM_SRCS); \
	else \
		$(CC) $(CFLAGS) $(SHIM_DEFINES) -static -s -o $@ $(SHIM_SRCS); \
	fi
dist/containerd-shim-keel-v1.cjs: $(BUNDLE_DEPS) dist/keel-init dist/libkeel.so $(FFI_ADDON) | deps
	@mkdir -p dist
	$(ESBUILD_CJS) --minify-whitespace --minify-syntax src/shim/main.ts --outfile=$@ --banner:js='#!$(NODE)'
	chmod +x $@

typecheck: build/generated/validators.mjs build/generated/syscalls.mjs | deps
	npx tsc -p tsconfig.json

# Lint and format: eslint (typescript-eslint's type-checked rules and @stylistic's layout rules,
# eslint.config.js) for TypeScript and JavaScript, clang-format (.clang-format) for native/. Both
# are set to the style the tree is written in. `make lint` checks (both run, then it fails if
# either found something); `make format` rewrites what they can fix.
C_SRCS = $(shell find native -name '*.[ch]' | sort)
lint: build/generated/validators.mjs build/generated/syscalls.mjs | deps
	@bash test/host/ensure-packages.sh clang-format
	@status=0; \
	npx eslint --max-warnings=0 . || status=1; \
	clang-format --dry-run --Werror $(C_SRCS) || status=1; \
	exit $$status

format: build/generated/validators.mjs build/generated/syscalls.mjs | deps
	@bash test/host/ensure-packages.sh clang-format
	@status=0; \
	npx eslint --fix . || status=1; \
	clang-format -i $(C_SRCS) || status=1; \
	exit $$status

# Debian packages the tests and the demo use (busybox-static for the rootfs, runc to compare with,
# golang-github-containers-common for podman's default seccomp profile, uidmap's newuidmap and
# newgidmap for the rootless tests).
host-deps:
	@bash test/host/ensure-packages.sh busybox-static runc golang-github-containers-common strace uidmap dbus-daemon dbus-bin criu

VITEST := npx vitest run --config test/vitest.config.ts
# Each lane also writes JSON results, summarised in one closing "N passed, N failed" line.
VITEST_LANE = $(VITEST) --reporter=default --reporter=json --outputFile=build/results-$(1).json $(2); \
	status=$$?; node test/host/summary.mjs build/results-$(1).json $(1) && exit $$status

# The default suite: typecheck, unit tests (no root), integration tests (root, real containers).
test: all host-deps typecheck
	@$(call VITEST_LANE,default,test/unit test/integration)

test-unit: all
	$(VITEST) test/unit

test-integration: all host-deps
	$(VITEST) test/integration

# containerd, podman and Docker (Debian's, installed if missing) run the same scenarios on runc and
# on keel; fails when one passes on runc and not on keel. See test/engines/run.sh.
test-engines: all host-deps
	bash test/engines/run.sh

# Rootless podman as a plain user the lane makes (test/engines/lib/rootless.sh), on runc and keel.
test-rootless: all host-deps
	ENGINES=rootless bash test/engines/run.sh

# The cgroup tests on a pure cgroup v2 kernel: Debian's, booted in QEMU (software emulation) with
# this checkout shared in; Debian packages it needs are installed if missing. See test/cgroup2/run.sh.
test-cgroup2: all host-deps
	bash test/cgroup2/run.sh

# The systemd cgroup driver (--systemd-cgroup) against a real systemd: the same guest as
# test-cgroup2, booted with systemd as PID 1 and the system bus (the host's systemd and dbus
# packages, installed if missing). See test/systemd/ and docs/systemd-cgroups.md.
test-systemd: all host-deps
	KEEL_VM_SYSTEMD=1 bash test/cgroup2/run.sh -- bash test/systemd/in-guest.sh

# keel against runc (and crun where the host lets it run), then keel's shim and runc's under
# containerd (bench/containerd.sh): two tables, also kept in bench/results/.
bench: all host-deps
	@bash test/host/ensure-packages.sh hyperfine jq time containerd
	bash bench/run.sh

# keel checkpoint/restore with the real CRIU, in the test-cgroup2 guest (Debian's kernel, where
# `criu check` passes; this host's does not), then podman's on runc and keel (the guest runs the
# host's podman, so it is installed here). See docs/checkpoint.md.
test-checkpoint: all host-deps
	@bash test/host/ensure-packages.sh podman
	bash test/cgroup2/run.sh -- bash test/checkpoint/in-guest.sh

# The same benchmark in the test-cgroup2 guest (pure cgroup v2), so crun runs and gets its column;
# BENCH_RUNS per timing (TCG is slow). The guest sees the host's /, so the packages go on the host
# (crun is installed there although a hybrid host cannot run it). Absolute times are TCG's, many
# times the host's: compare within the table. The table lands in bench/results/ as well.
BENCH_RUNS ?= 10
bench-cgroup2: all host-deps
	@bash test/host/ensure-packages.sh hyperfine jq time crun
	bash test/cgroup2/run.sh bench $(BENCH_RUNS)

# Faults, concurrency, hostile configs, escapes and load (test/reliability/README.md): each lane is
# bounded in time; KEEL_FUZZ_SECONDS, KEEL_FUZZ_SEED and KEEL_LOAD_CYCLES make them longer.
# One file at a time: the faults lane SIGKILLs keel and leaves keel-init zombies (this host's PID 1
# reaps no orphans), which the load lane, running beside it, would count as its own leaks.
test-reliability: all host-deps
	@$(call VITEST_LANE,reliability,--no-file-parallelism test/reliability)

demo: all
	@bash test/host/demo.sh

install: all
	rm -rf $(PREFIX)/lib/keel
	mkdir -p $(PREFIX)/lib/keel $(PREFIX)/bin
	cp -r dist/. $(PREFIX)/lib/keel/
	# Every user may run it (rootless keel), whatever root's umask was at build or install time.
	chmod -R a+rX,go-w $(PREFIX)/lib/keel
	ln -sf $(PREFIX)/lib/keel/keel $(PREFIX)/bin/keel
	ln -sf $(PREFIX)/lib/keel/containerd-shim-keel-v1 $(PREFIX)/bin/containerd-shim-keel-v1

uninstall:
	rm -rf $(PREFIX)/lib/keel $(PREFIX)/bin/keel $(PREFIX)/bin/containerd-shim-keel-v1

clean:
	rm -rf dist build
