# Trine: the two commands of the quick start.
#   make run    install deps, release build, open the TreeQL prompt on a demo store
#               (build/demo.trine: 2,000 users, 6,000 posts, 4,000 comments; created on first run)
#   make test   install deps, debug build (ASan+UBSan), all tests; then the TSan concurrency tests
# Other targets: make build | release | bench | bench-storage | bench-live | format | format-check
#   | clean
#   make bench-storage   the storage benchmark against the peers (BENCH_ARGS)
#   make bench-live      live queries: the IVM peers' workload, scale, nested (PEER_DIR: the
#                        peers' own harness, run beside it)
JOBS ?= $(shell nproc)
BENCH_ARGS ?= --n 200000 --value 64

.PHONY: deps build release test test-debug test-tsan run bench bench-storage bench-live format format-check clean

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset debug
	cmake --build --preset debug -j $(JOBS)

release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

test-debug: build
	ctest --preset debug -j $(JOBS)

test-tsan: deps
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan

test: test-debug test-tsan

run: release
	build/release/repl/trine --demo build/demo.trine

bench-storage: release
	build/release/bench/trine_bench $(BENCH_ARGS)

bench-live: release
	scripts/bench-live.sh

# The full comparison quoted in README.md (1M and 5M triples, 16 B and 64 B values).
bench: release
	scripts/bench-suite.sh

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf build
