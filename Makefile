# bpnn — PGXS build.  `make`, `make install`, `make installcheck` (against a
# running server; test/run-tests.sh wraps it in a throwaway cluster),
# `make unittest` (the kernel's tests, no server needed).

EXTENSION = bpnn
EXTVERSION = 0.2.0

MODULE_big = bpnn
OBJS = src/bpnn.o src/nn.o src/fit.o src/normalize.o src/model.o \
	src/model_json.o src/scan.o src/train.o src/predict.o src/evaluate.o

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# released versions stay installable, with the scripts that update them
DATA = sql/install/$(EXTENSION)--0.1.0.sql sql/install/$(EXTENSION)--0.1.0--0.2.0.sql

# pg_regress suites in sql/ (expected output in expected/), in this order:
# data loads the shared tables the later suites use
REGRESS = data model_io train predict errors security evaluate features fuzz accuracy
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# what the -Wno- flags silence (checked with gcc 12 and clang 14, -Wall -Wextra):
# unused-parameter: PostgreSQL's headers (ilist.h, bufpage.h) and callbacks
# whose signature is fixed (hash callbacks, the fit hook); sign-compare:
# PostgreSQL's array.h; missing-field-initializers: nothing at present
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
ifdef WERROR
PG_CFLAGS += -Werror
endif
EXTRA_CLEAN = test/unit/test_nn test/bench/cv test/fuzz/fuzz_model

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: rebuild every object when one changes
$(OBJS): $(wildcard src/*.h)

# the kernel's loops want the full vectorizer (measured in test/bench);
# no fused multiply-add, so every CPU computes the same bits (bpnn_predict
# is IMMUTABLE: an index built on one machine is read on another)
src/nn.o: CFLAGS += -O3 -ffp-contract=off

$(EXTENSION)--$(EXTVERSION).sql: sql/install/$(EXTENSION).sql
	cp $< $@

# the math outside the server: gradient check and kernel tests
KERNEL_SRC = src/nn.c src/fit.c src/normalize.c
test/unit/test_nn: test/unit/test_nn.c $(KERNEL_SRC) src/nn.h src/fit.h src/normalize.h
	$(CC) -O3 -ffp-contract=off -g -Wall -Wextra -o $@ test/unit/test_nn.c $(KERNEL_SRC) -lm

test/bench/cv: test/bench/cv.c test/bench/csv.c $(KERNEL_SRC)
	$(CC) -O3 -ffp-contract=off -Wall -o $@ test/bench/cv.c test/bench/csv.c $(KERNEL_SRC) -lm

.PHONY: unittest
unittest: test/unit/test_nn
	test/unit/test_nn

# the stored model format under libFuzzer (clang, with AddressSanitizer and
# UndefinedBehaviorSanitizer), outside the server: see test/fuzz/fuzz_model.c.
# `make fuzz FUZZ_SECONDS=60` runs it for that long from the seed corpus;
# new inputs go to test/fuzz/work, a crash to test/fuzz/crash-*.  Without
# float-cast-overflow: a forward pass that overflows to NaN reaches the
# (int32_t) cast in nn.c's vec_expf, a known finding (see README, Testing)
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-sanitize=float-cast-overflow \
	-fwrapv -fno-strict-aliasing -Wall -Wno-ignored-attributes -Wno-unused-parameter
FUZZ_SRC = test/fuzz/fuzz_model.c test/fuzz/pg_shim.c src/model.c src/model_json.c $(KERNEL_SRC)
test/fuzz/fuzz_model: $(FUZZ_SRC) test/fuzz/pg_shim.h $(wildcard src/*.h)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isrc -Itest/fuzz -I$(includedir_server) -D_GNU_SOURCE \
		-o $@ $(FUZZ_SRC) $(pkglibdir)/libpgcommon_shlib.a $(pkglibdir)/libpgport_shlib.a -lm

.PHONY: fuzz
fuzz: test/fuzz/fuzz_model
	mkdir -p test/fuzz/work
	test/fuzz/fuzz_model -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-dict=test/fuzz/model.dict -artifact_prefix=test/fuzz/ test/fuzz/work test/fuzz/corpus
