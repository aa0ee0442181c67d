# certkiosk — two commands do all set-up on Debian 12 with Go:
#   make run    install what is missing, build, start the kiosk in demo mode
#   make test   install what is missing, gofmt + go vet + go test (race, matprofile)
SHELL := /bin/bash
GO ?= go
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X certkiosk.Version=$(VERSION)
# no_emoji: Fyne leaves out its 4 MB colour emoji font, which it would
# otherwise parse for every text style (the kiosk shows no emoji).
TAGS := no_emoji
BIN := build
# Packages with cgo that must also pass with gocv's Mat leak counter on.
MATPROFILE_PKGS := ./camera/... ./check/... ./liveness/face/... ./liveness/fixture/...

# Fuzz targets, package:target; `make fuzz` runs each for FUZZTIME,
# `make test` (go test) runs their checked-in seeds in testdata/fuzz.
FUZZTIME ?= 30s
FUZZ_TARGETS := .:FuzzParseResidentID .:FuzzParseReceiptCode .:FuzzReceiptToken .:FuzzParsePhone .:FuzzCleanRelative \
	./store:FuzzParseRoster \
	./sync:FuzzReadBatch ./sync:FuzzBundle ./sync:FuzzBundleBody ./sync/terminal:FuzzRosterUpdate ./sync:FuzzSignedHeaders ./sync:FuzzContactsRequest \
	./central:FuzzClientAddr ./central:FuzzMaskIDs \
	./liveness/voice:FuzzReadWAV \
	./idcard:FuzzScan ./idcard:FuzzParseCard

.PHONY: all deps build run test package bench perf soak fuzz fuzz-seeds golden screenshots font voices clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/certkiosk ./cmd/certkiosk
	$(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/kioskctl ./cmd/kioskctl
	$(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/centrald ./cmd/centrald

# Demo mode: a per-user data directory (~/.local/share/certkiosk), the demo
# roster, and the demo clip when no webcam is found.
run: build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "make run: no display (DISPLAY is not set). On a server, try 'make screenshots'." >&2; exit 1; fi
	LANG=zh_CN.UTF-8 $(BIN)/certkiosk --demo

test: deps
	@bad=$$(gofmt -l .); \
	  if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race ./...
	# The screens once more with the machine's clock years away: every
	# screen takes the kiosk's pinned clock, so the goldens still hold.
	CERTKIOSK_TEST_SYSTEM_DATE=2039-07-16 $(GO) test -count=1 -run '^TestScreensMatchGoldens$$' ./ui
	# Without -race: this pass also runs the liveness validation set
	# (liveness/fixture/validation_test.go, real faces, ~5 min on 2 cores).
	$(GO) test -timeout 40m -tags matprofile $(MATPROFILE_PKGS)

# Debian packages under build/: certkiosk_VERSION_amd64.deb and
# certkiosk-central_VERSION_amd64.deb (scripts/package.sh, nfpm as a Go tool).
package:
	@DEPS_EXTRA="dpkg-dev" scripts/deps.sh
	VERSION=$(VERSION) scripts/package.sh

# Each fuzz target in turn (one at a time: 2 cores). A crash is written to
# testdata/fuzz/<target>/ by go test: commit it with the fix, as a regression seed.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# Rewrite the checked-in seed corpora from the seeds in the fuzz tests.
fuzz-seeds:
	rm -f testdata/fuzz/*/seed-* store/testdata/fuzz/*/seed-* sync/testdata/fuzz/*/seed-* sync/terminal/testdata/fuzz/*/seed-* central/testdata/fuzz/*/seed-* idcard/testdata/fuzz/*/seed-*
	CERTKIOSK_WRITE_FUZZ_SEEDS=1 $(GO) test -count=1 -run '^TestFuzzSeedsCheckedIn$$' . ./store ./sync/terminal ./sync ./central ./idcard

bench: deps
	# The central's ingest budgets first (issue 16, README "Performance"); the
	# PostgreSQL one needs CERTKIOSK_PG_URL: export CERTKIOSK_PG_URL=$$(scripts/postgres.sh)
	$(GO) test -run '^$$' -bench '^BenchmarkCentralIngest' -benchmem ./sync
	# -p 1: one package at a time, so benchmarks do not compete for the 2 cores.
	$(GO) test -p 1 -run '^$$' -skip '^BenchmarkCentralIngest' -bench . -benchmem ./...

# Rewrite the golden renders of the screens (ui/testdata/screens) after a
# deliberate change of a screen; review the diff and commit it.
golden:
	$(GO) test -count=1 -run '^TestScreensMatchGoldens$$' ./ui -update-golden

# The kiosk's time to the sign-in window and resident memory at sign-in,
# during a check and after PERF_CHECKS (20) checks, under Xvfb in demo mode.
# The measuring scenario is built only into a measuring kiosk (-tags perf),
# never into the shipped one.
perf: build
	$(GO) build -tags '$(TAGS) perf' -ldflags '$(LDFLAGS)' -o $(BIN)/perf/certkiosk ./cmd/certkiosk
	$(GO) build -tags '$(TAGS)' -o $(BIN)/perffloor ./cmd/perffloor
	scripts/perf.sh $(BIN)/perf/certkiosk $(BIN)/perffloor

# A day at the counter (issue 26): SOAK_CHECKS (300) checks back to back
# on the measuring kiosk under Xvfb, then one line of figures and the
# growth budgets (scripts/perf.sh with PERF_SOAK=1). Not in CI, which runs
# 30 of them (.ci/run).
SOAK_CHECKS ?= 300
soak: build
	$(GO) build -tags '$(TAGS) perf' -ldflags '$(LDFLAGS)' -o $(BIN)/perf/certkiosk ./cmd/certkiosk
	$(GO) build -tags '$(TAGS)' -o $(BIN)/perffloor ./cmd/perffloor
	PERF_SOAK=1 PERF_CHECKS=$(SOAK_CHECKS) scripts/perf.sh $(BIN)/perf/certkiosk $(BIN)/perffloor

# PNGs of the screens, rendered under Xvfb in demo mode.
screenshots: build
	scripts/screenshots.sh $(BIN)/certkiosk

# Regenerate the bundled font subset (committed; needs fonts-noto-cjk).
font: deps
	scripts/font-subset.sh

# Re-render the Mandarin voice prompts (committed; needs espeak-ng).
voices: deps
	scripts/voices.sh

clean:
	rm -rf $(BIN)
