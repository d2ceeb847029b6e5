# Nashra: `make demo` serves a seeded site at http://127.0.0.1:8000; `make test` runs
# every test. Both build .venv from the pinned requirements first.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench messages clean

$(PY):
	@python=$$(scripts/find-python) || exit 1; echo "using $$python"; "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements.txt requirements-test.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.runtime

# `make demo IMPORT=tests/data/feed.xml` also imports articles (a feed, a WordPress site
# or a file: anything `import_articles` takes) before serving.
demo: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(if $(IMPORT),$(PY) manage.py import_articles $(IMPORT))
	scripts/demo-serve

test: $(VENV)/.test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test
	$(PY) scripts/bench.py $(BENCH_ARGS)

# Regenerate .po from the sources and compile .mo (needs GNU gettext; the .mo is committed).
messages: $(VENV)/.runtime
	$(PY) manage.py makemessages -l ar --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .test-db.sqlite3 staticfiles
