# keel build. `make` builds everything into dist/; `make test` runs the default test suite.
SHELL := /bin/bash
PREFIX ?= /usr/local
CC ?= gcc
CFLAGS ?= -O2 -g0 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2

INIT_SRCS := $(wildcard native/init/*.c)
INIT_HDRS := $(wildcard native/init/*.h native/include/*.h)
TS_SRCS := $(shell find src -name '*.ts' -o -name '*.mjs' 2>/dev/null)
SCHEMAS := $(wildcard spec-schemas/*.json)

.PHONY: all deps host-deps native install uninstall test test-unit test-integration test-reliability demo clean typecheck

all: dist/keel

deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

native: dist/keel-init dist/libkeel.so

# keel-init is static: it runs from a memfd inside the container, before the container's own
# libraries could be trusted or even exist.
dist/keel-init: $(INIT_SRCS) $(INIT_HDRS)
	@mkdir -p dist
	$(CC) $(CFLAGS) -static -s -o $@ $(INIT_SRCS)

dist/libkeel.so: native/lib/libkeel.c
	@mkdir -p dist
	$(CC) $(CFLAGS) -shared -fPIC -s -o $@ $<

build/generated/validators.mjs: $(SCHEMAS) src/build/compile-schemas.mjs | deps
	node src/build/compile-schemas.mjs build/generated

dist/keel.mjs: $(TS_SRCS) build/generated/validators.mjs | deps
	@mkdir -p dist
	npx esbuild src/cli/main.ts --bundle --platform=node --format=esm --target=node20 \
		--external:ffi-rs --outfile=$@ --log-level=warning \
		--banner:js='#!/usr/bin/env node'
	chmod +x $@

# ffi-rs is a native addon and cannot be bundled; dist/ carries its own copy so that an
# installed keel does not depend on this checkout.
dist/node_modules/ffi-rs/package.json: | deps
	@mkdir -p dist/node_modules
	mkdir -p dist/node_modules/@yuuang
	cp -r node_modules/ffi-rs dist/node_modules/
	cp -r node_modules/@yuuang/ffi-rs-linux-x64-gnu dist/node_modules/@yuuang/

dist/keel: dist/keel.mjs dist/keel-init dist/libkeel.so dist/node_modules/ffi-rs/package.json
	ln -sf keel.mjs $@

typecheck: | deps
	npx tsc -p tsconfig.json

# Debian packages the tests and the demo use (busybox-static for the rootfs, runc to compare with).
host-deps:
	@bash test/host/ensure-packages.sh busybox-static runc

VITEST := npx vitest run --config test/vitest.config.ts

# The default suite: typecheck, unit tests (no root), integration tests (root, real containers).
test: all host-deps typecheck
	$(VITEST) test/unit test/integration

test-unit: all
	$(VITEST) test/unit

test-integration: all host-deps
	$(VITEST) test/integration

# Faults, concurrency, hostile configs, escapes and load (test/reliability/README.md): each lane is
# bounded in time; KEEL_FUZZ_SECONDS, KEEL_FUZZ_SEED and KEEL_LOAD_CYCLES make them longer.
test-reliability: all host-deps
	$(VITEST) test/reliability

demo: all
	@bash test/host/demo.sh

install: all
	rm -rf $(PREFIX)/lib/keel
	mkdir -p $(PREFIX)/lib/keel $(PREFIX)/bin
	cp -r dist/. $(PREFIX)/lib/keel/
	ln -sf $(PREFIX)/lib/keel/keel.mjs $(PREFIX)/bin/keel

uninstall:
	rm -rf $(PREFIX)/lib/keel $(PREFIX)/bin/keel

clean:
	rm -rf dist build
