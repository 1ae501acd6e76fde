# The two commands of README.md. Both set everything up first (idempotent).
.PHONY: setup run test

setup:
	bash infra/setup.sh

run: setup
	.venv/bin/python -m infra.demo

test:
	bash infra/test.sh
