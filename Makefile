# bpnn — PGXS build.  `make`, `make install`, `make installcheck` (against a
# running server; test/run-tests.sh wraps it in a throwaway cluster),
# `make unittest` (the kernel's tests, no server needed).

EXTENSION = bpnn
EXTVERSION = 0.4.0

MODULE_big = bpnn
OBJS = src/bpnn.o src/nn.o src/nn_gemm.o src/nn_fit.o src/nn_normalize.o src/model.o \
	src/model_json.o src/feature_choice.o src/scan.o src/train_setup.o src/train_memory.o src/train_entry.o src/predict.o src/model_row.o src/evaluate.o src/search.o \
	src/gradient_state.o src/gradient_aggregate.o src/train_stream.o src/fit_aggregate.o src/fit_aggregate_state.o src/model_cache.o \
	src/labels.o src/internal_query.o src/sgd_state.o src/sgd_aggregate.o \
	src/parallel.o src/parallel_cv.o src/parallel_train.o src/live_progress.o src/regression.o \
	src/attribution.o src/explain.o src/importance.o \
	src/onnx.o src/onnx_proto.o \
	src/warm_start.o

# the first release's install script and every update script after it:
# CREATE EXTENSION bpnn runs them in order (as contrib/hstore ships its
# scripts), so a fresh install and ALTER EXTENSION UPDATE make the same
# objects by construction (test/t/008_upgrade.pl checks the catalogs anyway)
DATA = sql/install/$(EXTENSION)--0.1.0.sql sql/install/$(EXTENSION)--0.1.0--0.2.0.sql \
	sql/install/$(EXTENSION)--0.2.0--0.3.0.sql sql/install/$(EXTENSION)--0.3.0--0.4.0.sql

# pg_regress suites in sql/ (expected output in expected/).  Each includes
# the data sets it uses (test/fixtures/NAME.sql, which load a table only if
# the database lacks it), so any one runs alone: make installcheck
# REGRESS=predict TAP_TESTS=.  data checks the fixtures themselves.
REGRESS = data model_io train predict errors security evaluate features feature_choice fuzz stream group labels \
	support_functions internal_queries input_limits train_aggregate parallel_train train_state_security progress rows regression regression_stream regression_multi search explain onnx warm_start accuracy
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# the cluster tests: TAP scripts test/t/*.pl on PostgreSQL's own framework
# (PostgreSQL::Test::Cluster, shipped with PGXS; needs libipc-run-perl),
# each starting clusters of its own, sharing test/perl/BpnnTest.pm.
# `make installcheck` runs them after the pg_regress suites, as a user
# other than root; `make installcheck REGRESS=` runs them alone and
# `make installcheck TAP_TESTS=` the suites alone
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

# what the -Wno- flags silence (checked with gcc 12 and clang 14, -Wall -Wextra):
# unused-parameter: PostgreSQL's headers (ilist.h, bufpage.h) and callbacks
# whose signature is fixed (hash callbacks, the fit hook); sign-compare:
# PostgreSQL's array.h; missing-field-initializers: nothing at present.
# -Wuninitialized and -Wmaybe-uninitialized (gcc; PGXS builds at -O2, where
# they see across inlined calls) catch a field read before it is set, as
# an unset ScanSpec flag once was (issue 12)
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wuninitialized -Wmaybe-uninitialized
# the library exports only what PostgreSQL looks up by name: functions
# named bpnn_* (the SQL-callable ones, parallel workers' entry points) and
# their pg_finfo_* records, the module magic and _PG_init (src/exports.map).
# PostgreSQL 15 loads libraries RTLD_GLOBAL, so an internal name such as
# train_model must not meet another library's.
SHLIB_LINK += -Wl,--version-script=$(srcdir)/src/exports.map
# the version bpnn_onnx names as its files' producer_version
PG_CPPFLAGS = -DBPNN_EXTVERSION='"$(EXTVERSION)"'
ifdef WERROR
PG_CFLAGS += -Werror
endif
EXTRA_CLEAN = src/kernel-arch test/unit/test_nn test/unit/test_nn-x86-64* test/bench/cv test/bench/cv-x86-64* \
	test/bench/score_row test/fuzz/fuzz_model test/fuzz/fuzz_json test/fuzz/fuzz_state test/fuzz/fuzz_fit_state

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# test/perl/BpnnTest.pm for the TAP tests (after the include: Makefile.global
# empties PROVE_FLAGS, which stays free for PROVE_FLAGS=--verbose)
PG_PROVE_FLAGS += -I test/perl

# PGXS does not track headers: rebuild every object when one changes
$(OBJS): $(wildcard src/*.h)

# the kernel's loops want the full vectorizer (measured in test/bench);
# no fused multiply-add, so every CPU computes the same bits (bpnn_predict
# is IMMUTABLE: an index built on one machine is read on another).
# -fno-trapping-math: the code never reads the FP exception flags, and
# without it GCC will not turn the activations' selects (the clamp in
# vec_expf) into blends where there are no mask registers, so with AVX2 or
# SSE2 they ran one value at a time (ten times slower); it lets the
# compiler evaluate both sides of a select, which changes no value (the
# unit tests compare the bits of every build)
KERNEL_FP = -ffp-contract=off -fno-trapping-math
src/nn.o src/nn_gemm.o: CFLAGS += -O3 $(KERNEL_FP)
# `make KERNEL_ARCH=x86-64-v3` (or x86-64, x86-64-v4): the kernel built for
# that instruction set alone, no clones, so the tests can run each code path
# on a CPU that would pick another (test/run-tests.sh).  src/kernel-arch
# holds the choice and changes only with it, so switching rebuilds nn.o and
# the library (PGXS marks every target .SECONDARY: removing src/nn.o alone
# leaves the old library in place, built for another instruction set)
ifdef KERNEL_ARCH
src/nn.o src/nn_gemm.o: CFLAGS += -march=$(KERNEL_ARCH) -DBPNN_NO_CLONES
endif
src/nn.o src/nn_gemm.o: src/kernel-arch
src/kernel-arch: FORCE
	@echo '$(or $(KERNEL_ARCH),dispatch)' | cmp -s - $@ || echo '$(or $(KERNEL_ARCH),dispatch)' > $@
.PHONY: FORCE
FORCE:

# the math outside the server: gradient check and kernel tests
KERNEL_SRC = src/nn.c src/nn_gemm.c src/nn_fit.c src/nn_normalize.c src/attribution.c
UNIT_FLAGS = -O3 $(KERNEL_FP) -g -Wall -Wextra
test/unit/test_nn: test/unit/test_nn.c $(KERNEL_SRC) src/nn.h src/nn_gemm.h src/nn_gemm_tiles.h src/nn_fit.h src/nn_normalize.h src/attribution.h
	$(CC) $(UNIT_FLAGS) -o $@ test/unit/test_nn.c $(KERNEL_SRC) -lm

# the same tests with one instruction set forced (no clones), one build each:
# test/unit/run.sh runs those this CPU can run and compares their bits
UNIT_ARCHS = x86-64 x86-64-v3 x86-64-v4
test/unit/test_nn-%: test/unit/test_nn.c $(KERNEL_SRC) src/nn.h src/nn_gemm.h src/nn_gemm_tiles.h src/nn_fit.h src/nn_normalize.h src/attribution.h
	$(CC) $(UNIT_FLAGS) -march=$* -DBPNN_NO_CLONES -o $@ test/unit/test_nn.c $(KERNEL_SRC) -lm

# the same tests under AddressSanitizer and UndefinedBehaviorSanitizer with
# clang, which builds the kernel so for make fuzz: a read outside a buffer
# or undefined pointer arithmetic in the kernel stops them (run.sh runs this
# build where clang is installed, and compares its fingerprint too)
FUZZ_CC = clang
SANITIZE_FLAGS = -g -O1 $(KERNEL_FP) -fsanitize=address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wno-unused-parameter
test/unit/test_nn-sanitize: test/unit/test_nn.c $(KERNEL_SRC) src/nn.h src/nn_gemm.h src/nn_gemm_tiles.h src/nn_fit.h src/nn_normalize.h src/attribution.h
	$(FUZZ_CC) $(SANITIZE_FLAGS) -o $@ test/unit/test_nn.c $(KERNEL_SRC) -lm

test/bench/cv: test/bench/cv.c test/bench/csv.c $(KERNEL_SRC) src/nn_gemm_tiles.h
	$(CC) -O3 $(KERNEL_FP) -Wall -o $@ test/bench/cv.c test/bench/csv.c $(KERNEL_SRC) -lm
# cv with one instruction set forced (no clones), to time each kernel path
# on a CPU that would pick another: make test/bench/cv-x86-64-v3
test/bench/cv-%: test/bench/cv.c test/bench/csv.c $(KERNEL_SRC) src/nn_gemm_tiles.h
	$(CC) -O3 $(KERNEL_FP) -Wall -march=$* -DBPNN_NO_CLONES -o $@ test/bench/cv.c test/bench/csv.c $(KERNEL_SRC) -lm

# one-row scoring outside the server, ns per row (test/bench/score_row.c)
test/bench/score_row: test/bench/score_row.c src/nn.c src/nn_gemm.c src/nn.h src/nn_gemm.h src/nn_gemm_tiles.h
	$(CC) -O3 $(KERNEL_FP) -Wall -Wextra -o $@ test/bench/score_row.c src/nn.c src/nn_gemm.c -lm

.PHONY: unittest
ifeq ($(shell uname -m),x86_64)
UNIT_BUILDS = test/unit/test_nn $(UNIT_ARCHS:%=test/unit/test_nn-%)
else
UNIT_BUILDS = test/unit/test_nn
endif
ifneq ($(shell command -v $(FUZZ_CC) 2> /dev/null),)
UNIT_BUILDS += test/unit/test_nn-sanitize
endif
unittest: $(UNIT_BUILDS)
	test/unit/run.sh test/unit

# the value formats under libFuzzer (clang, with AddressSanitizer and
# UndefinedBehaviorSanitizer), outside the server, one harness each:
# fuzz_model (the stored model, test/fuzz/fuzz_model.c), fuzz_json (the
# model's text form), fuzz_state (bpnn_state, binary and text) and
# fuzz_fit_state (bpnn_fit's serialized state, with test/fuzz/fit_shim.c).
# `make fuzz FUZZ_SECONDS=60` shares that time between FUZZ_TARGETS, each
# from its seed corpus (test/fuzz/corpus-TARGET); new inputs go to
# test/fuzz/work/TARGET, a crash to test/fuzz/crash-*.
FUZZ_SECONDS = 60
FUZZ_TARGETS = model json state fit_state
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined,float-cast-overflow -fno-sanitize-recover=all \
	-fwrapv -fno-strict-aliasing -Wall -Wno-ignored-attributes -Wno-unused-parameter
FUZZ_SRC = test/fuzz/pg_shim.c test/fuzz/jsonb_shim.c src/model.c src/model_json.c src/gradient_state.c \
	src/onnx.c src/onnx_proto.c $(KERNEL_SRC)
test/fuzz/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_SRC) test/fuzz/pg_shim.h $(wildcard src/*.h)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isrc -Itest/fuzz -I$(includedir_server) -D_GNU_SOURCE \
		-DBPNN_EXTVERSION='"$(EXTVERSION)"' -o $@ $< $(FUZZ_SRC) $(FUZZ_EXTRA) $(pkglibdir)/libpgcommon_shlib.a $(pkglibdir)/libpgport_shlib.a -lm
# bpnn_fit's state functions, with stand-ins for the training code they call
FIT_STATE_SRC = test/fuzz/fit_shim.c src/fit_aggregate_state.c src/labels.c
test/fuzz/fuzz_fit_state: FUZZ_EXTRA = $(FIT_STATE_SRC)
test/fuzz/fuzz_fit_state: $(FIT_STATE_SRC)

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS:%=test/fuzz/fuzz_%)
	@seconds=$$(( $(FUZZ_SECONDS) / $(words $(FUZZ_TARGETS)) )); \
	for t in $(FUZZ_TARGETS); do \
		echo "== fuzz_$$t, $$seconds s"; \
		mkdir -p test/fuzz/work/$$t; \
		dict=; [ ! -f test/fuzz/$$t.dict ] || dict=-dict=test/fuzz/$$t.dict; \
		test/fuzz/fuzz_$$t -max_total_time=$$seconds -print_final_stats=1 $$dict \
			-artifact_prefix=test/fuzz/ test/fuzz/work/$$t test/fuzz/corpus-$$t || exit 1; \
	done
