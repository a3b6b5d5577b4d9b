# talk2model — two commands: `make run` (set up + start the demo) and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MPLBACKEND := Agg

.PHONY: run test setup models parser bench chat clean browser bytecode

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch first, pinned to the CPU build on disk: anything that pulls a plain `torch` later
# would otherwise fetch gigabytes of CUDA wheels.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

models: $(STAMP)
	$(PY) -m talk2model.training

# The parser's reader: trained from prompts/ (training questions, schemas, paraphrase bank) into
# models/parser_reader.safetensors + .json (committed; about 14-15.5 min on 2 cores (821-828 s this round), fixed seed).
parser: $(STAMP)
	$(PY) -m talk2model.parser.train.fit
	$(PY) -m talk2model.parser.evaluate --set all-dev

# Demo models are rebuilt (about 10 s, fixed seeds) when missing or when the trainer changes.
MODELS := models/credit.skops models/german.skops models/compas.skops models/diabetes.skops models/adult.skops models/diabetes-mlp.pt \
          models/digits-cnn.pt data/digits/digits.npz models/digits-cnn.checkpoints.pt models/diabetes-mlp.checkpoints.pt
$(MODELS) &: talk2model/training.py talk2model/training_images.py talk2model/training_torch.py \
             talk2model/workspace/architectures.py talk2model/workspace/checkpoints.py | $(STAMP)
	$(PY) -m talk2model.training
# The reader runs from an ONNX export of MiniLM + the committed LoRA factors; it (and the plain
# sentence model for features said in other words) is exported once here, not at the first question.
models/.reader: models/parser_reader.safetensors models/parser_reader.json | $(STAMP)
	$(PY) -m talk2model.parser.reader
	@touch models/.reader
models/.built: $(MODELS) models/.reader
	@touch models/.built

# The package's bytecode, written once here: with PYTHONDONTWRITEBYTECODE set, every process would
# otherwise compile the parser's modules again (about 0.15 s of the reader's start-up).
bytecode: $(STAMP)
	@$(PY) -m compileall -q talk2model

run: $(STAMP) models/.built bytecode
	$(VENV)/bin/talk2model app

chat: $(STAMP) models/.built bytecode
	$(VENV)/bin/talk2model chat

# Debian's chromium for tests/test_browser.py (Playwright drives it; no browser download).
# In CI (CI=true) a chromium that cannot be installed fails the build instead of skipping.
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  if [ "$${CI:-}" = true ]; then echo "chromium could not be installed; CI needs it for the browser tests" >&2; exit 1; \
	  else echo "chromium not installed: browser tests will be skipped"; fi

test: $(STAMP) models/.built browser bytecode
	$(PY) -m pytest -q

bench: $(STAMP) models/.built bytecode
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
