# Two commands matter: `make run` (demo on SQLite, no services) and `make test` (everything).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
VAR := var

.PHONY: run test install system-deps vendor messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed vendor messages

system-deps:
	bin/install-system-deps

vendor:
	bin/vendor-static

messages: $(VENV)/.installed
	if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
	  SECRET_KEY=build-only $(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=var; fi

$(VAR)/secret_key:
	mkdir -p $(VAR)
	$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: system-deps install $(VAR)/secret_key
	SECRET_KEY=$$(cat $(VAR)/secret_key) SECURE_COOKIES=0 $(PY) manage.py migrate -v0
	SECRET_KEY=$$(cat $(VAR)/secret_key) $(PY) manage.py collectstatic --noinput -v0
	SECRET_KEY=$$(cat $(VAR)/secret_key) $(PY) manage.py seed_demo --url http://127.0.0.1:$(PORT)/
	SECRET_KEY=$$(cat $(VAR)/secret_key) $(PY) manage.py schedule_reminders -v0
	# One task worker beside the server (notices, office conversions), stopped with it. E-mails are
	# printed by the worker unless EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (+ EMAIL_HOST…).
	export SECRET_KEY=$$(cat $(VAR)/secret_key) PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)/} \
	  EMAIL_BACKEND=$${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}; \
	$(PY) manage.py db_worker --no-reload --queue-name '*' -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	SECURE_COOKIES=0 $(PY) -m meetingroom.serve -b 127.0.0.1 -p $(PORT) meetingroom.asgi:application

test: system-deps install
	bin/test

clean:
	rm -rf $(VAR)/test $(VAR)/static
