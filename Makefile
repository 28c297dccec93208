# Targets for working on jcs; `make help` lists them.
GO ?= go

.PHONY: help build test race lint fmt fuzz cover tidy-check bench ci

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build the jcs binary into ./jcs
	$(GO) build -o jcs ./cmd/jcs

test: ## run the tests
	$(GO) test ./...

race: ## run the tests with the race detector (the README's test command)
	$(GO) test -race ./...

lint: ## gofmt -s, go vet and staticcheck
	@out=$$(gofmt -s -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -s:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt: ## format the code
	gofmt -s -w $$(git ls-files '*.go')

fuzz: ## run each fuzz target briefly (FUZZTIME=30s)
	@$(GO) list ./... | while read p; do \
	  for f in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
	    echo "== $$p $$f"; $(GO) test -run=NONE -fuzz="^$$f$$" -fuzztime=$${FUZZTIME:-30s} $$p || exit 1; \
	  done; \
	done

cover: ## test coverage report in cover.html
	$(GO) test -coverprofile=cover.out ./...
	$(GO) tool cover -html=cover.out -o cover.html

tidy-check: ## fail if go mod tidy would change go.mod or go.sum
	@cp go.mod /tmp/go.mod.tc && cp go.sum /tmp/go.sum.tc && $(GO) mod tidy && \
	  if ! cmp -s go.mod /tmp/go.mod.tc || ! cmp -s go.sum /tmp/go.sum.tc; then echo "go mod tidy changes go.mod/go.sum"; exit 1; fi

bench: ## micro-benchmarks of the erasure codec and kv
	$(GO) test -run=NONE -bench=. ./erasure/ ./kv/

ci: ## what CI runs
	./.ci/run
