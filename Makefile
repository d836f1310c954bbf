# kfk — build, test and run. `make help` lists the targets.

GO        ?= go
CC        ?= cc
BUILD     := build
LIB       := $(BUILD)/libkfk.so
SONAME    := libkfk.so.0
GOFILES   := $(shell find core capi -name '*.go' -not -name '*_test.go') go.mod go.sum
CSOURCES  := $(wildcard capi/*.c capi/*.h) include/kfk.h
BROKER    := tests/kafka/kafka
WITH_BROKER := tests/with-broker

.PHONY: help deps lib test test-go test-c test-python test-perl test-ruby vet \
        broker broker-stop demo fuzz clean install python-wheel bench bench-quick test-bench

help:
	@echo "make deps         install toolchains, test dependencies and the Kafka jars"
	@echo "make demo         produce 100,000 messages to a local broker and read them back"
	@echo "make lib          build $(LIB)"
	@echo "make test         run every test suite against a real broker (starts one unless KFK_TEST_BROKERS is set)"
	@echo "make broker       start a local single-node Kafka broker in the background"
	@echo "make broker-stop  stop it"
	@echo "make fuzz         run the decoder fuzzers for FUZZTIME each (default 10s)"
	@echo "make python-wheel a Python wheel with libkfk.so inside, in build/dist"
	@echo "make bench        every client side by side (under 15 min); results in bench/results/full"
	@echo "make bench-quick  the short version (under 2 min); results in bench/results/quick"

deps:
	scripts/deps.sh

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
vet: $(LIB)
	CGO_ENABLED=0 $(GO) build ./core/...
	$(GO) vet ./...
	@if ldd $(LIB) | grep -v -E 'linux-vdso|libc\.so|libpthread|ld-linux|libdl|librt|libm\.so'; then \
		echo "$(LIB) links more than libc"; exit 1; fi

# Every suite shares one broker started here, unless KFK_TEST_BROKERS names one.
test: lib vet
	$(WITH_BROKER) $(MAKE) --no-print-directory test-go test-c test-python test-perl test-ruby test-bench

test-go:
	$(GO) test -count=1 ./...

test-c: lib
	cmake -S . -B $(BUILD)/cmake -DCMAKE_BUILD_TYPE=Debug -DKFK_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)/cmake -j2 >/dev/null
	cd $(BUILD)/cmake && ctest --output-on-failure

test-python: lib
	KFK_LIBRARY=$(CURDIR)/$(LIB) python3 -m pytest -q bindings/python/tests

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

# The demo: starts a local broker unless KFK_TEST_BROKERS names one,
# produces 100,000 messages through the C ABI and reads them back.
demo: $(BUILD)/demo
	$(WITH_BROKER) $(BUILD)/demo

$(BUILD)/demo: examples/c/demo.c include/kfk.h $(LIB)
	$(CC) -O2 -Wall -Wextra -std=c11 -D_GNU_SOURCE -Iinclude -o $@ $< -L$(BUILD) -lkfk -Wl,-rpath,'$$ORIGIN'

broker:
	$(BROKER) start

broker-stop:
	$(BROKER) stop

FUZZTIME ?= 10s
fuzz:
	@for pkg in ./core/wire ./core/compress; do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; done; done

PREFIX ?= /usr/local
# A Python wheel with libkfk.so inside: pip install build/dist/kfk-*.whl
# needs no compiler and no KFK_LIBRARY. Tagged py3 for this platform (ctypes
# works with any Python 3; the library is what is platform-specific).
python-wheel: lib
	rm -rf $(BUILD)/python $(BUILD)/dist/kfk-*.whl
	cp -r bindings/python $(BUILD)/python
	rm -rf $(BUILD)/python/tests $(BUILD)/python/build $(BUILD)/python/*.egg-info
	cp $(LIB) $(BUILD)/python/kfk/libkfk.so
	printf '[bdist_wheel]\npython_tag = py3\nplat_name = linux_%s\n' "$$(uname -m)" > $(BUILD)/python/setup.cfg
	python3 -m pip wheel -q --no-deps -w $(BUILD)/dist $(BUILD)/python
	@ls $(BUILD)/dist/kfk-*.whl

install: lib
	cmake -S . -B $(BUILD)/cmake-install -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD)/cmake-install
	cmake --install $(BUILD)/cmake-install

clean:
	rm -rf $(BUILD)
