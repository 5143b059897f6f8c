# MiniRaft developer tasks. `make help` lists them.

GO           ?= go
BIN          ?= bin
TOOLS        ?= $(CURDIR)/.tools
STATICCHECK  := $(TOOLS)/staticcheck
STATICCHECK_VERSION := v0.8.2

PKGS   ?= ./...
# Modules of their own inside the repository (so the main module does not depend on
# what only they need); vet and test run in each.
SUBMODULES ?= deploy/fuzz
TEST   ?= .
RUNS   ?= 100
PAR    ?= 4
BENCH  ?= .
COUNT  ?= 1
SCENARIO ?=

.PHONY: help build check test race stress bench bench-compare bench-kvmem fuzz fuzz-raft mutants mutants-quick tui lint fmt fmt-check vet clean

help: ## List the targets.
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/miniraft.
	$(GO) build -o $(BIN)/miniraft ./cmd/miniraft

# Tests that switch deliberate bugs on (internal/bugs), to show the checkers catch them.
# They exist only in builds with -tags bugs; name them TestBug... and add their package here.
BUGS_TESTS ?= -run '^TestBug' ./chaos/runner/ ./chaos/fuzz/ ./cmd/miniraft/cli/ ./chaos/report/ ./chaos/live/

check: vet ## The fast inner loop: go vet, then go test -short (skips what runs in real time).
	$(GO) test -short -count=1 $(PKGS)

test: vet ## go vet, then the whole suite under the race detector (what CI runs), then the deliberate-bug tests.
	$(GO) test -race -count=1 -timeout 60m $(PKGS)
	for m in $(SUBMODULES); do (cd $$m && $(GO) test -race -count=1 -timeout 20m ./...) || exit 1; done
	$(GO) test -race -count=1 -timeout 20m -tags bugs $(BUGS_TESTS)
	$(MAKE) mutants-quick

race: ## The whole suite under the race detector, without vet.
	$(GO) test -race -count=1 -timeout 60m $(PKGS)

vet: ## go vet, in normal builds and in builds with the deliberate bugs, and the bench/ module.
	$(GO) vet $(PKGS)
	$(GO) vet -tags bugs $(PKGS)
	cd bench && $(GO) vet ./...
	for m in $(SUBMODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

stress: ## Run raft tests many times in parallel: make stress TEST=2B RUNS=200 PAR=8 [RACE=1].
	$(GO) run ./scripts/stress -run '$(TEST)' -runs $(RUNS) -p $(PAR) $(if $(RACE),-race)

bench: ## Run the benchmarks and print their figures.
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) $(PKGS)

# The side-by-side benchmarks live in bench/, a module of its own, so that the main module
# does not depend on hashicorp/raft.
RUNS_COMPARE ?= 5
bench-compare: ## MiniRaft vs hashicorp/raft v1.7.2, 3 peers, 1 and 64 proposers, alternating: medians and ratios.
	cd bench && $(GO) run ./compare -runs $(RUNS_COMPARE) $(COMPARE_FLAGS)

bench-kvmem: ## A kv service over raft.Raft, 100,000 operations without snapshots: peak RSS against the live heap.
	cd bench && $(GO) run ./kvmem $(KVMEM_FLAGS)

fuzz: ## Fuzz the scenario parser for FUZZTIME (default 30s).
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-30s} ./chaos/scenario/

fuzz-raft: ## Fuzz Raft with random fault schedules for FUZZTIME (default 2m); BUG=figure8 or forget-vote breaks it on purpose.
	$(GO) run $(if $(BUG),-tags bugs) ./cmd/miniraft fuzz --time $${FUZZTIME:-2m} --out fuzz-failures $(if $(BUG),--bug $(BUG))

# make mutants fuzzes every deliberate bug of internal/bugs (scripts/mutants); the wrapper's
# bugs need miniraft fuzz --engine live and show as pending until it exists.
MUTANTS_FLAGS ?= -budget 2m -workers 2 -markdown
MUTANTS_OUT   ?= $(or $(TMPDIR),/tmp)/miniraft-mutants
mutants: ## Fuzz each deliberate bug for a budget and print the table (caught, first failure, checker, shrunk size); MUTANTS_FLAGS='-budget 60s -bugs figure8'.
	$(GO) run ./scripts/mutants -out $(MUTANTS_OUT)/all $(MUTANTS_FLAGS)

mutants-quick: ## The CI subset of make mutants: fails if fuzz misses one of a few bugs it catches within seconds.
	$(GO) run ./scripts/mutants -quick -out $(MUTANTS_OUT)/quick

tui: build ## Start the TUI on the built-in demo scenario.
	$(BIN)/miniraft tui $(SCENARIO)

$(STATICCHECK):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: vet $(STATICCHECK) ## go vet and staticcheck (installed pinned into .tools/).
	$(STATICCHECK) $(PKGS)
	$(STATICCHECK) -tags bugs $(PKGS)

fmt: ## gofmt -w every Go file.
	gofmt -w $$(git ls-files '*.go')

fmt-check: ## Fail if any Go file is not gofmt-clean.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean: ## Remove build outputs and installed tools.
	rm -rf $(BIN) $(TOOLS)
