# make run   — start microblog on SQLite (development) with a working admin; installs only what
#              the service needs (requirements.txt); the test targets add requirements-dev.txt
# make test  — lint, then every test on SQLite and on a throwaway PostgreSQL server: pytest,
#              then the Postman collection with newman against granian (and gunicorn), the README's
#              command lines on a fresh clone (make readme-test), then make cluster-test: two hosts
#              behind HAProxy over PostgreSQL and Redis, then make container-test: the image and
#              compose.yaml under podman (as root)
# make bench — the benchmark (not part of make test): POSTS=1000 for a quick run
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BENCH_BIN := .venv-bench/bin
CONTAINERS_BIN := .venv-containers/bin
TEST_WORKERS ?= 2
POSTS ?= 1000000
ROUNDS ?= 3
DURATION ?= 2
ONLY ?=
HOST ?= 127.0.0.1
PORT ?= 5000
ADMIN_USERNAME ?= admin
ADMIN_PASSWORD_FILE := instance/admin-password
DEV_CONFIG := instance/config.py

.PHONY: run new-admin-password test lint pytest pytest-postgres contract-test contract-test-postgres readme-test pasture \
	cluster-test container-test hardening bench lighthouse install install-runtime clean

# The service alone (make run), then the test tools on top (every test target).
$(BIN)/.runtime-installed: requirements.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed: $(BIN)/.runtime-installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install-runtime: $(BIN)/.runtime-installed
install: $(BIN)/.installed

node_modules/.bin/newman: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ADMIN_PASSWORD_FILE):
	mkdir -p instance
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(18))' > $@

# This checkout is a development instance: instance/config.py says so, so that the server and
# every command line (.venv/bin/flask --app microblog …) read the same settings.
$(DEV_CONFIG):
	mkdir -p instance
	printf '%s\n' '# Written by make run: this checkout is a development instance (its secret is generated' \
	  '# into instance/secret_key). Delete this file, or set MICROBLOG_ENV, for anything else.' \
	  'MICROBLOG_ENV = "development"' > $@

# The admin password is printed only while it still logs in (a password change makes it stale).
run: install-runtime $(ADMIN_PASSWORD_FILE) $(DEV_CONFIG)
	ADMIN_USERNAME=$(ADMIN_USERNAME) ADMIN_PASSWORD="$$(cat $(ADMIN_PASSWORD_FILE))" $(BIN)/flask --app microblog init-db
	@echo; echo "microblog is starting on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	@if $(BIN)/flask --app microblog check-password --username $(ADMIN_USERNAME) <$(ADMIN_PASSWORD_FILE) >/dev/null 2>&1; then \
	  pw=$$(cat $(ADMIN_PASSWORD_FILE)); \
	  echo "Admin login: username '$(ADMIN_USERNAME)', password '$$pw' (kept in $(ADMIN_PASSWORD_FILE)):"; \
	  echo "  curl -s -X POST http://$(HOST):$(PORT)/api/v1/auth/login -H 'Content-Type: application/json' \\"; \
	  echo "       -d '{\"username\": \"$(ADMIN_USERNAME)\", \"password\": \"$$pw\"}'"; \
	else \
	  echo "Admin login: username '$(ADMIN_USERNAME)'. The password in $(ADMIN_PASSWORD_FILE) no longer works (it was changed)."; \
	  echo "  make new-admin-password   sets a new one and keeps it there (every login is signed out)"; \
	fi; echo
	$(BIN)/flask --app microblog run --host $(HOST) --port $(PORT)

# A new generated admin password, set and kept in instance/admin-password (creates the admin if
# there is none). Every earlier login of the admin stops working.
new-admin-password: install-runtime $(DEV_CONFIG)
	$(BIN)/flask --app microblog init-db >/dev/null
	mkdir -p instance
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(18))' > $(ADMIN_PASSWORD_FILE).new
	$(BIN)/flask --app microblog create-admin --username $(ADMIN_USERNAME) < $(ADMIN_PASSWORD_FILE).new
	mv $(ADMIN_PASSWORD_FILE).new $(ADMIN_PASSWORD_FILE)
	@echo "The admin's new password is in $(ADMIN_PASSWORD_FILE)."

test: lint pytest pytest-postgres contract-test contract-test-postgres readme-test cluster-test container-test pasture

lint: install
	$(BIN)/ruff check microblog tests scripts bench containers cluster wsgi.py gunicorn.conf.py

# node_modules: the sitemap schema, axe-core and lighthouse for the reading site's tests.
# TEST_WORKERS pytest-xdist workers (each on a database of its own); then the tests marked
# alone, which load the machine or time answers under load, one at a time.
pytest: install node_modules/.bin/newman
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m 'not alone'
	$(BIN)/python -m pytest -m alone

pytest-postgres: install node_modules/.bin/newman
	scripts/with-postgres.sh $(BIN)/python -m pytest -n $(TEST_WORKERS) -m 'not alone and not once'

contract-test: install node_modules/.bin/newman
	BIN=$(BIN) MICROBLOG_SERVER=granian scripts/contract-test.sh
	BIN=$(BIN) MICROBLOG_SERVER=gunicorn scripts/contract-test.sh

contract-test-postgres: install node_modules/.bin/newman
	BIN=$(BIN) scripts/with-postgres.sh scripts/contract-test.sh

# Two app hosts (microblog serve) behind HAProxy over one PostgreSQL and one Redis, each on its
# own loopback address; the Postman collection, shared tokens and limits, kill -9 of a host,
# PostgreSQL and Redis stopped; prints the figures of docs/cluster.md. Installs Debian's
# redis-server, haproxy and postgresql when missing (root). About a minute; killed after 5.
cluster-test: install node_modules/.bin/newman
	@command -v redis-server >/dev/null && command -v haproxy >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server haproxy postgresql)
	timeout --kill-after=20 300 $(BIN)/python cluster/run.py

# The README's (and docs/api.md's) command lines on a fresh clone of HEAD, as a new user runs
# them, on a free port (docs/testing.md). Needs git, curl, npm; about 2 minutes.
# fediverse-pasture in its own virtualenv (bovine pins older cryptography): its actor verification
pasture: install .venv-pasture/.installed
	PASTURE_PYTHON=.venv-pasture/bin/python $(BIN)/python scripts/pasture_verify.py

.venv-pasture/.installed:
	python3 -m venv .venv-pasture
	.venv-pasture/bin/pip install --quiet fediverse-pasture==0.2.25
	touch $@

readme-test:
	$(PYTHON) scripts/readme_test.py

# Builds the image from Containerfile, runs compose.yaml under podman-compose, the Postman
# collection against it, restarts; removes all it made (README "Containers"). Root only.
container-test: node_modules/.bin/newman $(CONTAINERS_BIN)/.installed
	npx --no-install dclint --quiet compose.yaml containers/test/compose.yaml
	COMPOSE_BIN=$(CONTAINERS_BIN) timeout --kill-after=150 1200 containers/test/run.sh

$(CONTAINERS_BIN)/.installed: containers/test/requirements.txt
	$(PYTHON) -m venv .venv-containers
	$(CONTAINERS_BIN)/pip install --quiet -r containers/test/requirements.txt
	touch $@

# Lighthouse's scores for the reading site's home and post pages in Debian's chromium (docs/site.md);
# tests/test_site_browser.py runs the same check inside make test.
lighthouse: install node_modules/.bin/newman
	$(BIN)/python scripts/lighthouse.py

# Abuse and fault figures against real granian servers (MICROBLOG_SERVER=gunicorn for gunicorn;
# availability.py compares bare granian with `microblog serve`),
# on SQLite then PostgreSQL (several minutes; timings make them unfit for CI, so they are not
# part of `make test`).
hardening: install
	command -v wrk >/dev/null || apt-get install -y wrk
	cd scripts && ../$(BIN)/python bruteforce.py
	cd scripts && ../$(BIN)/python contention.py
	cd scripts && ../$(BIN)/python durability.py
	cd scripts && ../$(BIN)/python availability.py
	cd scripts && ../$(BIN)/python import_figures.py --posts 100000
	cd scripts && ../$(BIN)/python import_figures.py --mib 256 --skip-cli
	scripts/with-postgres.sh bash -c 'cd scripts && ../$(BIN)/python bruteforce.py --tries 100 && ../$(BIN)/python durability.py \
	  && ../$(BIN)/python contention.py && ../$(BIN)/python pool.py && ../$(BIN)/python import_figures.py --posts 100000'

# Seeds a blog of POSTS posts (and one of 1,000), then measures microblog with wrk against bare
# Flask on the same server (granian as `microblog serve` runs it, or gunicorn), beside a raw WSGI
# callable on granian and a FastAPI + SQLAlchemy peer: a table with issue 18's targets,
# bench/results.json and bench/results.png (docs/benchmarks.md). A quick look:
# make bench POSTS=1000 ROUNDS=1 DURATION=1 ONLY='single|list'  (ONLY: a regex of row names).
bench: $(BENCH_BIN)/.installed
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BENCH_BIN)/python bench/run.py --posts $(POSTS) --rounds $(ROUNDS) --duration $(DURATION) $(if $(ONLY),--only '$(ONLY)')

$(BENCH_BIN)/.installed: requirements.txt bench/requirements.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv .venv-bench
	$(BENCH_BIN)/pip install --quiet --upgrade pip
	$(BENCH_BIN)/pip install --quiet -r requirements.txt -r bench/requirements.txt
	$(BENCH_BIN)/pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf $(VENV) .venv-bench .venv-containers node_modules .pytest_cache
