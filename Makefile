# The two commands of README.md. Both set everything up first (idempotent).
.PHONY: setup run test mutation

setup:
	bash infra/setup.sh

run: setup
	.venv/bin/python -m infra.demo

test:
	bash infra/test.sh

# Mutation score per pure-core module (mutmut; about 10-20 min on 2 cores).
mutation:
	.venv/bin/python bench/mutation.py
