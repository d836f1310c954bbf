# kfk — build, test and run. `make help` lists the targets.

# The Go toolchain lives in /usr/local/go on the machines kfk is built on.
export PATH := /usr/local/go/bin:$(PATH)

GO        ?= go
CC        ?= cc
BUILD     := build
LIB       := $(BUILD)/libkfk.so
SONAME    := libkfk.so.0
GOFILES   := $(shell find core capi -name '*.go' -not -name '*_test.go') go.mod go.sum
CSOURCES  := $(wildcard capi/*.c capi/*.h) include/kfk.h
BROKER    := tests/kafka/kafka
WITH_BROKER := tests/with-broker
REPORT_DIR  := $(CURDIR)/$(BUILD)/reliability

.PHONY: help deps lib test test-fast test-go test-c test-python test-perl test-ruby vet \
        broker broker-stop demo fuzz soak valgrind reliability-report clean install python-wheel ruby-gem perl-dist \
        bench bench-quick bench-partitions test-bench

help:
	@echo "make deps         install toolchains, test dependencies and the Kafka jars"
	@echo "make demo         produce 100,000 messages to a local broker and read them back"
	@echo "make lib          build $(LIB)"
	@echo "make test         run every test suite against a real broker (starts one unless KFK_TEST_BROKERS is set)"
	@echo "make test-fast    the Go tests that need no broker, fake cluster (kfake) included: no Java, under a minute"
	@echo "make broker       start a local single-node Kafka broker in the background"
	@echo "make broker-stop  stop it"
	@echo "make fuzz         run the decoder fuzzers for FUZZTIME each (default 10s; make test runs them for 5s)"
	@echo "make soak         produce, consume and rebalance for SOAK_DURATION (default 10m), checking RSS, goroutines, fds"
	@echo "make valgrind     run a C example under valgrind against a local broker"
	@echo "make reliability-report  run the fault, security and bad-input tests and write docs/RELIABILITY.md"
	@echo "make python-wheel a Python wheel with libkfk.so inside, in build/dist"
	@echo "make ruby-gem     a platform gem with libkfk.so inside, in build/dist"
	@echo "make perl-dist    an EV-Kafka tarball with libkfk.so inside, in build/dist"
	@echo "make bench        every client side by side (under 15 min); results in bench/results/full"
	@echo "make bench-quick  the short version (under 2 min); results in bench/results/quick"
	@echo "make bench-partitions  kfk C and librdkafka producing to 1..1024 partitions; results in bench/results/partitions"

# make demo and make test run this first: it installs only what is missing
# (about a second when everything is there), so on a fresh machine those
# two commands are the whole set-up.
deps:
	@scripts/deps.sh

lib: $(LIB)

# The shared library. capi/shim.c includes both kfk.h and the cgo-generated
# export header, so a prototype that drifts from the header fails here.
$(LIB): $(GOFILES) $(CSOURCES)
	@mkdir -p $(BUILD)
	cd capi && CGO_ENABLED=1 $(GO) build -buildmode=c-shared -trimpath \
		-ldflags='-s -w -extldflags "-Wl,-soname,$(SONAME) -Wl,--version-script=$(CURDIR)/capi/kfk.map"' \
		-o ../$(LIB) .
	@rm -f $(BUILD)/libkfk.h
	ln -sf libkfk.so $(BUILD)/$(SONAME)

# core/ is pure Go; the library links nothing but libc (and the loader).
# go.mod and go.sum must be what go mod tidy makes of them.
vet: $(LIB)
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	CGO_ENABLED=0 $(GO) build ./core/...
	$(GO) vet ./...
	@if ldd $(LIB) | grep -v -E 'linux-vdso|libc\.so|libpthread|ld-linux|libdl|librt|libm\.so'; then \
		echo "$(LIB) links more than libc"; exit 1; fi

# Every suite shares one broker started here, unless KFK_TEST_BROKERS names one.
# The decoder fuzzers then run for a short, fixed budget.
test: deps lib vet
	$(WITH_BROKER) $(MAKE) --no-print-directory test-go test-c test-python test-perl test-ruby test-bench
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

# The edit-test loop without Java or Kafka jars: every Go test that needs
# no broker (those that do skip under KFK_TEST_NO_BROKER=1), among them
# the *_fake_test.go tests of the client against kfake, an in-process fake
# cluster. make test runs them too, next to the real broker.
test-fast:
	KFK_TEST_NO_BROKER=1 $(GO) test -count=1 ./core/... ./tests/...

# One package at a time: core/client and tests/faultproxy each start a
# 3-node cluster, and two of them (plus the shared broker) on 2 cores made
# timing-sensitive tests flaky.
test-go:
	$(GO) test -count=1 -p 1 ./...

test-c: lib
	cmake -S . -B $(BUILD)/cmake -DCMAKE_BUILD_TYPE=Debug -DKFK_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)/cmake -j2 >/dev/null
	cd $(BUILD)/cmake && ctest --output-on-failure

# Under PyPy too, when scripts/deps.sh made its venv (build/pypy-venv).
test-python: lib
	KFK_LIBRARY=$(CURDIR)/$(LIB) python3 -m pytest -q --capture=sys bindings/python/tests
	if [ -x $(BUILD)/pypy-venv/bin/python ]; then \
	  KFK_LIBRARY=$(CURDIR)/$(LIB) $(BUILD)/pypy-venv/bin/python -m pytest -q --capture=sys -p no:cacheprovider \
	    bindings/python/tests; fi

test-perl: lib
	KFK_LIBRARY=$(CURDIR)/$(LIB) prove -I bindings/perl/lib bindings/perl/t

test-ruby: lib
	KFK_LIBRARY=$(CURDIR)/$(LIB) ruby -Ibindings/ruby/lib -e 'Dir["bindings/ruby/test/*_test.rb"].each { |f| require File.expand_path(f) }'

# A run of every benchmark program with tiny counts, so they cannot rot.
test-bench: lib
	GO=$(GO) python3 -m pytest -q bench/test_smoke.py

# The benchmarks (bench/README.md); each starts a broker unless
# KFK_TEST_BROKERS names one. Not part of `make test`.
bench: lib
	GO=$(GO) python3 bench/run.py --profile full

bench-quick: lib
	GO=$(GO) python3 bench/run.py --profile quick

bench-partitions: lib
	GO=$(GO) python3 bench/run.py --profile partitions

# The demo: starts a local broker unless KFK_TEST_BROKERS names one,
# produces 100,000 messages through the C ABI and reads them back.
demo: deps $(BUILD)/demo
	$(WITH_BROKER) $(BUILD)/demo

$(BUILD)/demo: examples/c/demo.c include/kfk.h $(LIB)
	$(CC) -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE -Iinclude -o $@ $< -L$(BUILD) -lkfk -Wl,-rpath,'$$ORIGIN'

broker:
	$(BROKER) start

broker-stop:
	$(BROKER) stop

FUZZTIME      ?= 10s
TEST_FUZZTIME ?= 5s
FUZZ_PACKAGES := ./core/wire ./core/compress ./core/connapi
# Each fuzzer's log goes to build/fuzz; with KFK_REPORT_DIR set, its count
# of inputs tried becomes a figure of docs/RELIABILITY.md. Minimizing a
# new large input may otherwise take the whole budget (FuzzDecompress ran
# 29 inputs in 10 s, all the rest spent minimizing).
# Go's fuzz coordinator (up to Go 1.26) can end a run at its -fuzztime
# deadline with "context deadline exceeded" and no failing input
# (golang/go#75804, a race in its shutdown): that is not a finding. A real
# one writes its input to testdata/fuzz and says so, and fails the target.
fuzz:
	@mkdir -p $(BUILD)/fuzz
	@for pkg in $(FUZZ_PACKAGES); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
			log=$(BUILD)/fuzz/$$t.log; \
			KFK_TEST_NO_BROKER=1 $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg > $$log 2>&1 || \
				if grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
					echo "$$t: stopped by Go's fuzztime deadline race (golang/go#75804), no failing input"; \
				else cat $$log; exit 1; fi; \
			echo "$$t: $$(grep -o 'execs: [0-9]*' $$log | tail -n 1) in $(FUZZTIME)"; \
			if [ -n "$$KFK_REPORT_DIR" ]; then scripts/reliability-report fuzz-figure "$$KFK_REPORT_DIR" $$t $$log || exit 1; fi; \
		done; done

# A bounded soak (not part of make test): producers, consumers and a group
# that rebalances, for SOAK_DURATION, with RSS, goroutines and fds sampled.
SOAK_DURATION ?= 10m
soak:
	@mkdir -p $(REPORT_DIR)
	$(WITH_BROKER) env KFK_SOAK_DURATION=$(SOAK_DURATION) KFK_REPORT_DIR=$(REPORT_DIR) \
		$(GO) test -count=1 -v -timeout 0 -run '^TestSoak$$' ./tests/soak

# The producer and consumer examples under valgrind's memcheck: leaks whose
# stack passes through libkfk are errors. The Go runtime's own threads and
# arenas are outside malloc and not reported.
valgrind: lib
	cmake -S . -B $(BUILD)/cmake-valgrind -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD)/cmake-valgrind -j2 --target example_producer example_consumer >/dev/null
	$(WITH_BROKER) scripts/valgrind-examples $(BUILD)/cmake-valgrind

# Runs the fault, security and bad-input tests with KFK_REPORT_DIR set, a
# fuzz round, and writes docs/RELIABILITY.md from what they recorded (and
# from the last make soak, whose figures stay in the same folder). A test
# writes its figures only when it passes, and a failure stops the target.
reliability-report: lib
	mkdir -p $(REPORT_DIR)
	$(WITH_BROKER) env KFK_REPORT_DIR=$(REPORT_DIR) $(GO) test -count=1 -timeout 60m \
		./tests/faultproxy ./core/conn ./core/connapi
	cmake -S . -B $(BUILD)/cmake -DCMAKE_BUILD_TYPE=Debug -DKFK_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)/cmake -j2 --target test_abi >/dev/null
	KFK_REPORT_DIR=$(REPORT_DIR) ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1 $(BUILD)/cmake/test_abi
	KFK_REPORT_DIR=$(REPORT_DIR) $(MAKE) --no-print-directory fuzz
	scripts/reliability-report assemble $(REPORT_DIR) > docs/RELIABILITY.md
	@echo "wrote docs/RELIABILITY.md"

PREFIX ?= /usr/local
# A Python wheel with libkfk.so inside: pip install build/dist/kfk-*.whl
# needs no compiler and no KFK_LIBRARY. Tagged py3 for this platform (ctypes
# works with any Python 3; the library is what is platform-specific) and
# manylinux_2_34, which PyPI accepts: libkfk needs only glibc 2.34 symbols
# (auditwheel show checks it; the wheel test does).
python-wheel: lib
	rm -rf $(BUILD)/python $(BUILD)/dist/kfk-*.whl
	cp -r bindings/python $(BUILD)/python
	rm -rf $(BUILD)/python/tests $(BUILD)/python/build $(BUILD)/python/*.egg-info
	cp $(LIB) $(BUILD)/python/kfk/libkfk.so
	printf '[bdist_wheel]\npython_tag = py3\nplat_name = manylinux_2_34_%s\n' "$$(uname -m)" > $(BUILD)/python/setup.cfg
	python3 -m pip wheel -q --no-deps -w $(BUILD)/dist $(BUILD)/python
	@ls $(BUILD)/dist/kfk-*.whl

# A platform gem (x86_64-linux) with libkfk.so inside: gem install
# build/dist/kfk-*.gem needs no compiler and no KFK_LIBRARY.
ruby-gem: lib
	rm -rf $(BUILD)/ruby $(BUILD)/dist/kfk-*.gem
	mkdir -p $(BUILD)/dist
	cp -r bindings/ruby $(BUILD)/ruby
	cp $(LIB) $(BUILD)/ruby/lib/kfk/libkfk.so
	cd $(BUILD)/ruby && KFK_GEM_PLATFORM="$$(ruby -e 'print Gem::Platform.local')" gem build -q kfk.gemspec -o ../dist/kfk.gem
	cd $(BUILD)/dist && mv kfk.gem "kfk-$$(ruby -e 'print Gem::Specification.load("../ruby/kfk.gemspec").version')-$$(ruby -e 'print Gem::Platform.local').gem"
	@ls $(BUILD)/dist/kfk-*.gem

# A CPAN-style tarball of the EV::Kafka drop-in with libkfk.so inside
# (lib/auto/kfk/libkfk.so, where Kfk::FFI looks): perl Makefile.PL && make
# install from it needs no KFK_LIBRARY.
perl-dist: lib
	rm -rf $(BUILD)/perl $(BUILD)/dist/EV-Kafka-*.tar.gz
	mkdir -p $(BUILD)/perl/lib/auto/kfk $(BUILD)/dist
	cp -r bindings/perl/lib bindings/perl/Makefile.PL bindings/perl/cpanfile bindings/perl/t $(BUILD)/perl/
	cp $(LIB) $(BUILD)/perl/lib/auto/kfk/libkfk.so
	cd $(BUILD)/perl && perl Makefile.PL >/dev/null && $(MAKE) -s manifest >/dev/null 2>&1 && $(MAKE) -s dist >/dev/null
	mv $(BUILD)/perl/EV-Kafka-*.tar.gz $(BUILD)/dist/
	@ls $(BUILD)/dist/EV-Kafka-*.tar.gz

install: lib
	cmake -S . -B $(BUILD)/cmake-install -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD)/cmake-install
	cmake --install $(BUILD)/cmake-install

clean:
	rm -rf $(BUILD)
