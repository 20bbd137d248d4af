# azflow: Azure flow logs and cloud packet captures for Suricata 8.
#
#   make            build/azflow.so (plugin), build/azflow (tool), build/suricata (host)
#   make check      every test: unit (cmocka), regression (real Suricata + plugin)
#   make check SANITIZE=1   the same under ASan + UBSan
#   make check JOBS=N       regression cases N at a time (default: one per CPU)
#   make demo       run Suricata with the plugin on the bundled corpus
#   make install    PREFIX=/usr/local DESTDIR=
#
# The host Suricata 8.0.x is LIBSURICATA_CONFIG when given, else an installed
# libsuricata-config reporting 8.0, else a build cached outside the clone in
# HOST_CACHE (made once by tools/host-suricata.sh, reused by later clones).

VERSION    := 0.1.0
PREFIX     ?= /usr/local
bindir     ?= $(PREFIX)/bin
libdir     ?= $(PREFIX)/lib
datadir    ?= $(PREFIX)/share
plugindir  ?= $(libdir)/suricata/plugins
# Suricata's default-rule-path is $(localstatedir)/lib/suricata/rules.
localstatedir ?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
rulesdir   ?= $(localstatedir)/lib/suricata/rules
docdir     ?= $(datadir)/doc/azflow
DESTDIR    ?=

HOST_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/azflow/suricata-8.0.7
# Debian's python3-yaml serves /usr/bin/python3, which a pyenv on PATH may hide.
PYTHON     ?= /usr/bin/python3
SAMPLES    ?= $(abspath ../shared/samples/real)
export LIBSURICATA_CONFIG

CC         ?= cc
OPT        ?= -O2
WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS     ?= $(OPT) -g
ALL_CFLAGS := -std=gnu11 -DAZFLOW_VERSION=\"$(VERSION)\" $(WARN) -fPIC -fvisibility=hidden $(CFLAGS)

ifeq ($(SANITIZE),1)
O          := build/sanitize
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_CFLAGS += $(SAN_FLAGS)
LDSAN      := $(SAN_FLAGS)
else
O          := build
LDSAN      :=
endif

PARSER_SRC := $(wildcard parsers/*/*.c)
PLUGIN_SRC := $(wildcard plugin/*.c plugin/*/*.c)
TOOL_SRC   := $(wildcard tools/azflow/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
PARSER_HDR := $(wildcard parsers/*.h parsers/*/*.h)
PLUGIN_HDR := $(wildcard plugin/*.h plugin/*/*.h)

PARSER_OBJ := $(PARSER_SRC:%.c=$(O)/obj/%.o)
PLUGIN_OBJ := $(PLUGIN_SRC:%.c=$(O)/obj/%.o)
TOOL_OBJ   := $(TOOL_SRC:%.c=$(O)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

# The storage client (parsers/source/blob_*.c): HTTP(S), HMAC-SHA256, List Blobs XML.
BLOB_LIBS  := -lcurl -lcrypto -lexpat

HOST_PATH  := build/host.path
# libsuricata-config of the host, read when a recipe runs (after it exists).
LSC         = $$(cat $(HOST_PATH))

.PHONY: all host deps check unit regress regress-valgrind corpus-check demo install uninstall clean fuzz bench
all: $(O)/azflow.so $(O)/azflow build/suricata

deps: build/.deps
build/.deps: tools/install-deps.sh
	@mkdir -p build
	tools/install-deps.sh
	@touch $@

host: $(HOST_PATH)
$(HOST_PATH): tools/host-suricata.sh | build/.deps
	@mkdir -p build
	tools/host-suricata.sh "$(HOST_CACHE)" > $@.tmp
	tail -n 1 $@.tmp > $@ && rm -f $@.tmp
	@echo "host: $$(cat $@)"

# A link to the exact binary the plugin was compiled against.
build/suricata: $(HOST_PATH)
	ln -sf "$$(dirname "$$(cat $(HOST_PATH))")/suricata" $@

# --- decoder library (no Suricata headers) -----------------------------------
$(O)/libazflow.a: $(PARSER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/obj/parsers/%.o: parsers/%.c $(PARSER_HDR) | build/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iparsers -c $< -o $@

# --- the plugin: compiled against the host's headers, not linked to it -------
# Suricata's headers trip some of our warnings; they are theirs, not ours.
PLUGIN_CFLAGS = $(ALL_CFLAGS) -Wno-shadow -Wno-strict-prototypes -Wno-sign-compare
$(O)/obj/plugin/%.o: plugin/%.c $(PLUGIN_HDR) parsers/flowlog.h $(HOST_PATH)
	@mkdir -p $(@D)
	$(CC) $$($(LSC) --cflags) "-D__SCFILENAME__=\"$(notdir $*)\"" $(PLUGIN_CFLAGS) -Iparsers -c $< -o $@

$(O)/azflow.so: $(PLUGIN_OBJ) $(O)/libazflow.a
	$(CC) -shared $(LDSAN) -o $@ $(PLUGIN_OBJ) $(O)/libazflow.a -lpcre2-8 -lpcap $(BLOB_LIBS)

# --- the command-line tool ---------------------------------------------------
$(O)/obj/tools/azflow/%.o: tools/azflow/%.c $(wildcard tools/azflow/*.h) parsers/flowlog.h | build/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iparsers -c $< -o $@

$(O)/azflow: $(TOOL_OBJ) $(O)/libazflow.a
	$(CC) $(LDSAN) -o $@ $(TOOL_OBJ) $(O)/libazflow.a -lnet -lpcap $(BLOB_LIBS)

# --- tests ---------------------------------------------------------------------
$(O)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(O)/libazflow.a | build/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iparsers -Iplugin $< -o $@ $(O)/libazflow.a $(LDSAN) -lcmocka $(BLOB_LIBS)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do \
	    echo "== $$t"; AZF_SAMPLES="$(SAMPLES)" $$t; done

# detect-digest-sharing writes its corpus with the benchmark's generator.
regress: all $(O)/bench/plugin_overhead_gen
	$(PYTHON) tests/regress/run.py --suricata build/suricata --plugin $(O)/azflow.so \
	    --tool $(O)/azflow $(if $(filter 1,$(SANITIZE)),--sanitize) $(if $(JOBS),--jobs $(JOBS)) tests/regress/cases

# The committed corpus must be exactly what the generator writes today.
corpus-check: $(O)/azflow
	rm -rf $(O)/corpus-check
	$(O)/azflow corpus $(O)/corpus-check
	diff -r pcap-corpus $(O)/corpus-check
	@echo "corpus: pcap-corpus/ is byte-identical to a fresh azflow corpus run"

# The regression cases again with Suricata under valgrind memcheck.
regress-valgrind: all $(O)/bench/plugin_overhead_gen
	$(PYTHON) tests/regress/run.py --suricata build/suricata --plugin $(O)/azflow.so \
	    --tool $(O)/azflow --valgrind $(if $(JOBS),--jobs $(JOBS)) tests/regress/cases

# Everything: unit tests, corpus, regression cases; then the same under
# valgrind (Suricata) and ASan+UBSan (unit tests, tool, plugin).
check: unit corpus-check regress regress-valgrind
ifneq ($(SANITIZE),1)
	$(MAKE) --no-print-directory SANITIZE=1 unit regress
endif

demo: all
	$(PYTHON) tools/demo.py --suricata build/suricata --plugin $(O)/azflow.so --corpus pcap-corpus

# --- install -------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(plugindir) $(DESTDIR)$(bindir) $(DESTDIR)$(rulesdir) $(DESTDIR)$(docdir)
	install -m 0755 $(O)/azflow.so $(DESTDIR)$(plugindir)/azflow.so
	install -m 0755 $(O)/azflow $(DESTDIR)$(bindir)/azflow
	install -m 0644 signatures/azure.rules $(DESTDIR)$(rulesdir)/azure.rules
	install -m 0644 README.md docs/keywords.md docs/eve-azure.schema.json $(DESTDIR)$(docdir)/

uninstall:
	rm -f $(DESTDIR)$(plugindir)/azflow.so $(DESTDIR)$(bindir)/azflow $(DESTDIR)$(rulesdir)/azure.rules
	rm -rf $(DESTDIR)$(docdir)

clean:
	rm -rf build

# --- fuzzing and benchmark (tests/fuzz/, bench/) -------------------------------
#   make fuzz    each libFuzzer harness for FUZZ_SECONDS (clang; corpora grow in build/fuzz/)
#   make bench   decoder speed and peak RSS beside a jansson baseline (BENCH_MIB blob)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined $(WARN) -Iparsers -Itests/fuzz
# The follower harness writes blobs and fsyncs bookmarks: tmpfs keeps it fast.
FUZZ_TMP     ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(CURDIR)/build/fuzz/tmp)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

# An archive, so each harness links only the parser objects it uses.
build/fuzz/libazflow.a: $(PARSER_SRC:%.c=build/fuzz/obj/%.o)
	rm -f $@ && ar rcs $@ $^
build/fuzz/obj/parsers/%.o: parsers/%.c $(PARSER_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h build/fuzz/libazflow.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $< build/fuzz/libazflow.a -o $@ $(BLOB_LIBS)

# The decoder harness also starts from the real samples when they are there.
fuzz: $(FUZZ_BIN)
	@set -e; mkdir -p "$(FUZZ_TMP)"; for h in $(FUZZ_NAMES); do \
	    mkdir -p build/fuzz/corpus/$$h build/fuzz/artifacts/$$h; \
	    extra=; if [ $$h = decode ] && [ -d "$(SAMPLES)" ]; then extra="$(SAMPLES)"; fi; \
	    echo "== fuzz_$$h: $(FUZZ_SECONDS)s (log: build/fuzz/$$h.log)"; \
	    if ! TMPDIR="$(FUZZ_TMP)" build/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) \
	        -timeout=10 -max_len=65536 -dict=tests/fuzz/flowlog.dict -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/artifacts/$$h/ build/fuzz/corpus/$$h tests/fuzz/seeds/$$h \
	        $$extra > build/fuzz/$$h.log 2>&1; then \
	        tail -n 40 build/fuzz/$$h.log; echo "fuzz_$$h: FAILED"; exit 1; fi; \
	    grep -E 'stat::(number_of_executed_units|new_units_added|peak_rss_mb)' build/fuzz/$$h.log \
	        | tr '\n' ' '; echo; \
	done

BENCH_MIB   ?= 256
BENCH_SMALL ?= 64
build/bench/decode_bench: bench/decode_bench.c parsers/flowlog.h $(O)/libazflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iparsers $< -o $@ $(O)/libazflow.a $(LDSAN) -ljansson $(BLOB_LIBS)

bench: build/bench/decode_bench
	build/bench/decode_bench --dir build/bench --mib $(BENCH_MIB) --small-mib $(BENCH_SMALL)

# --- plugin overhead (bench/plugin_overhead*) ----------------------------------
#   make bench-plugin   Suricata's packets/s on a generated 1M-packet vTAP mirror: without
#                       the plugin, with it, with it and 1M flow-log records indexed (and the
#                       shipped rules on top); BENCH_PLUGIN_REPS interleaved runs of each.
#                       BENCH_PLUGIN_ARGS adds driver options, e.g. "--logdir /dev/shm
#                       --variants C --callgrind 100000" (see bench/plugin_overhead.md).
# The generator links the tool's corpus builders (every tool object but main.o).
BENCH_PLUGIN_REPS ?= 5
BENCH_PLUGIN_ARGS ?=
BENCH_GEN_OBJ     := $(filter-out $(O)/obj/tools/azflow/main.o,$(TOOL_OBJ))
$(O)/bench/plugin_overhead_gen: bench/plugin_overhead_gen.c $(wildcard tools/azflow/*.h) \
                                $(BENCH_GEN_OBJ) $(O)/libazflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iparsers -Itools/azflow $< -o $@ $(BENCH_GEN_OBJ) $(O)/libazflow.a \
	    $(LDSAN) -lnet -lpcap $(BLOB_LIBS)

.PHONY: bench-plugin bench-capture
bench-plugin: all $(O)/bench/plugin_overhead_gen
	$(O)/bench/plugin_overhead_gen build/bench
	$(PYTHON) bench/plugin_overhead.py --reps $(BENCH_PLUGIN_REPS) --suricata build/suricata \
	    --plugin $(O)/azflow.so --data build/bench $(BENCH_PLUGIN_ARGS)

# The same runs plus capture mode (--capture-plugin=azure) without and with
# the 1M records, against stock -r on the same pcap.
bench-capture: all $(O)/bench/plugin_overhead_gen
	$(O)/bench/plugin_overhead_gen build/bench
	$(PYTHON) bench/plugin_overhead.py --reps $(BENCH_PLUGIN_REPS) --suricata build/suricata \
	    --plugin $(O)/azflow.so --data build/bench --capture $(BENCH_PLUGIN_ARGS)
