# make run   — start microblog on SQLite (development) with a working admin
# make test  — lint, then every test on SQLite and on a throwaway PostgreSQL server: pytest,
#              then the Postman collection with newman against granian (and gunicorn), then
#              make container-test: the image and compose.yaml under podman (as root)
# make bench — the benchmark (not part of make test): POSTS=1000 for a quick run
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BENCH_BIN := .venv-bench/bin
CONTAINERS_BIN := .venv-containers/bin
POSTS ?= 1000000
HOST ?= 127.0.0.1
PORT ?= 5000
ADMIN_USERNAME ?= admin
ADMIN_PASSWORD_FILE := instance/admin-password

.PHONY: run test lint pytest pytest-postgres contract-test contract-test-postgres container-test hardening bench lighthouse install clean

$(BIN)/.installed: requirements.txt requirements-dev.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/.installed

node_modules/.bin/newman: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ADMIN_PASSWORD_FILE):
	mkdir -p instance
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(18))' > $@

run: install $(ADMIN_PASSWORD_FILE)
	MICROBLOG_ENV=development ADMIN_USERNAME=$(ADMIN_USERNAME) \
	  ADMIN_PASSWORD="$$(cat $(ADMIN_PASSWORD_FILE))" $(BIN)/flask --app microblog init-db
	@pw=$$(cat $(ADMIN_PASSWORD_FILE)); \
	  echo; \
	  echo "microblog is starting on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"; \
	  echo "Admin login: username '$(ADMIN_USERNAME)', password '$$pw' (kept in $(ADMIN_PASSWORD_FILE)):"; \
	  echo "  curl -s -X POST http://$(HOST):$(PORT)/api/v1/auth/login -H 'Content-Type: application/json' \\"; \
	  echo "       -d '{\"username\": \"$(ADMIN_USERNAME)\", \"password\": \"$$pw\"}'"; \
	  echo
	MICROBLOG_ENV=development $(BIN)/flask --app microblog run --host $(HOST) --port $(PORT)

test: lint pytest pytest-postgres contract-test contract-test-postgres container-test

lint: install
	$(BIN)/ruff check microblog tests scripts bench containers wsgi.py gunicorn.conf.py

# node_modules: the sitemap schema, axe-core and lighthouse for the reading site's tests
pytest: install node_modules/.bin/newman
	$(BIN)/python -m pytest

pytest-postgres: install node_modules/.bin/newman
	scripts/with-postgres.sh $(BIN)/python -m pytest

contract-test: install node_modules/.bin/newman
	BIN=$(BIN) MICROBLOG_SERVER=granian scripts/contract-test.sh
	BIN=$(BIN) MICROBLOG_SERVER=gunicorn scripts/contract-test.sh

contract-test-postgres: install node_modules/.bin/newman
	BIN=$(BIN) scripts/with-postgres.sh scripts/contract-test.sh

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

# Seeds a blog of POSTS posts (and one of 1,000), then measures microblog against a bare Flask
# app and a FastAPI + SQLAlchemy peer with wrk: a table, bench/results.json and bench/results.png.
bench: $(BENCH_BIN)/.installed
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BENCH_BIN)/python bench/run.py --posts $(POSTS)

$(BENCH_BIN)/.installed: requirements.txt bench/requirements.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv .venv-bench
	$(BENCH_BIN)/pip install --quiet --upgrade pip
	$(BENCH_BIN)/pip install --quiet -r requirements.txt -r bench/requirements.txt
	$(BENCH_BIN)/pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf $(VENV) .venv-bench .venv-containers node_modules .pytest_cache
