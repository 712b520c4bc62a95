# bounce_suppress: PGXS build.  `make && make install`, then
# `CREATE EXTENSION bounce_suppress`.  The whole test suite: `bash test/run.sh`.

EXTENSION = bounce_suppress
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = $(EXTENSION)
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script of the current version is assembled from the pieces in
# src/sql/ (one per concern, applied in name order).  Released versions are
# frozen as sql/$(EXTENSION)--X.sql next to their upgrade scripts.
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress: every sql/NAME.sql that is not an install script, setup first.
REGRESS_ALL = $(sort $(basename $(notdir $(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql)))))
REGRESS = setup $(filter-out setup,$(REGRESS_ALL))
REGRESS_OPTS = --inputdir=.

ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

EXTRA_CLEAN = results regression.diffs regression.out output_iso tmp_check test/build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql)) $(EXTENSION).control
	cat $(sort $(wildcard src/sql/*.sql)) > $@

# Plain-C parts (no postgres.h): unit tests, fuzz targets, sanitizer build.
.PHONY: unit fuzz-short results
unit:
	$(MAKE) -f test/standalone.mk unit
fuzz-short:
	$(MAKE) -f test/standalone.mk fuzz-short

# Accept the output of the last regress run as expected (review the diff!).
results:
	cp results/*.out expected/

# The three installcheck parts on their own (test/run.sh runs each).
.PHONY: installcheck-regress installcheck-isolation installcheck-tap
installcheck-regress:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
installcheck-isolation:
	$(if $(ISOLATION),$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION))
installcheck-tap:
	$(if $(PROVE_TESTS),$(prove_installcheck))
