"""`NaturalLanguageParser`: a plain question -> a query (docs/query-language.md), clarifying
choices, or a message saying what was not understood. Never a silent guess, never an exception.

    grounding (schema -> typed spans)  ->  reader (learned: operations, span roles, follow-up)
    ->  assembler (spans + roles + conversation -> canonical query)  ->  validation

See docs/parser.md.
"""

from __future__ import annotations

import threading

from talk2model.errors import QueryError
from talk2model.parser import constraints as C
from talk2model.parser.assemble import Assembler
from talk2model.parser.base import Choice, Parse
from talk2model.parser.encode import state_words, where_features
from talk2model.parser.grounding import Grounder
from talk2model.parser.reader import Reader
from talk2model.query import ast as q
from talk2model.query.human import describe_query
from talk2model.query.validate import validate

# user-facing texts (asserted by the tests)
NOT_UNDERSTOOD = "I did not understand that."
OUT_OF_SCOPE = "That does not look like a question about the model or its data."
NO_SUCH_FEATURE = "This data has nothing called {words}."
NOTHING_LIKE = "This data does not have what you are asking about."
NEAREST = " The closest things it has: {features}."
WHICH_FEATURE = "Which feature do you mean? For example: {features}."
WHICH_ATTRIBUTE = "Which group should I check the model's fairness across?"
WHICH_NUMBER = "Which feature does {value} refer to?"
UNREAD = "I could not use all of that: {problems}. Could you say it another way?"
NO_CHANGE = "'{clause}' names nothing in this data that a what-if could change"
UNSURE = "I am not sure what you mean. Did you mean one of these?"
EXAMPLES = " You could ask, for example: {examples}."
CHOICE_CONFIDENCE = 0.35      # below this the reader's best reading is offered with alternatives


class NaturalLanguageParser:
    """Plain English -> `Parse`, for any workspace, from its schema and the trained reader."""

    def __init__(self, workspace, reader: Reader | None = None) -> None:
        self.workspace = workspace
        self.schema = workspace.schema
        self.reader = reader or Reader.shared()
        self.grounder = Grounder(workspace, self.reader.vocabulary)
        self.assembler = Assembler(workspace)
        self.generic = frozenset(self.reader.meta.get("generic_words", ()))
        self._semantic: dict = {}
        self.unavailable = unavailable_ops(workspace)
        self.folded = folded_ops(workspace)

    # ------------------------------------------------------------------ public
    def parse(self, question: str, state=None) -> Parse:
        try:
            return self._parse(question, state)
        except QueryError as exc:     # a reading the query language refuses: say so
            return Parse(message=f"I could not turn that into a query: {exc}", source="nl")
        except Exception:             # noqa: BLE001 - parse() never raises: the asker gets examples
            return self._examples(NOT_UNDERSTOOD)

    # ------------------------------------------------------------------ internals
    def _parse(self, question: str, state) -> Parse:
        g = self.grounder.ground(question)
        words = [t for t in g.tokens if t.isalnum()]
        known = self.grounder.speller.known
        if not words or not (g.spans or any(t in known or t.isdigit() or t.lstrip("-").isdigit() for t in words)):
            return self._examples(NOT_UNDERSTOOD)
        reading = C.unknown_with_known_argument(self.reader.read(g, self._state_text(state), self.unavailable,
                                                                  self.folded))
        unknown = self._unknown_words(g)
        if not unknown:                       # nothing this data lacks was said: not "unknown"
            reading = C.unknown_with_known_condition(reading)
        else:
            reading = C.unknown_in_place_of_a_feature(reading, g, unknown)
        reading = C.group_only_follow_up(reading, state, g)
        reading = C.rows_asked_by_which(reading, g)
        reading = C.count_said_as_an_average(reading, g, self.schema)
        reading = C.fairness_of_rows_without_groups(reading, g)
        built = self.assembler.build(g, reading, state)
        if "outside" in built.problems:
            return self._examples(OUT_OF_SCOPE)
        if "unknown" in built.problems:
            return self._unknown(g, reading)
        if built.ask_feature:
            guessed = self._feature_in_other_words(built.ask_feature, g)
            if guessed is not None:
                built = self.assembler.build(g, reading, state, fallback_feature=guessed)
        if built.ask_feature:
            return self._ask_feature(built.ask_feature, g, built.partial)
        if built.ask_number:
            return self._ask_number(built.ask_number, g, reading, state)
        if built.problems:
            return Parse(message=UNREAD.format(problems="; ".join(built.problems)), source="nl")
        if built.query is None:
            return self._examples(NOT_UNDERSTOOD)
        query = validate(built.query, self.schema)
        clause = C.unread_change_clause(g, query)
        if clause is not None:      # "if she earned more" on data with no income: said, not dropped
            return Parse(message=UNREAD.format(problems=NO_CHANGE.format(clause=clause)), source="nl")
        confidence = reading.confidence()
        if confidence < CHOICE_CONFIDENCE or _bare_name(g):    # "glucose": what about it? offer readings
            choices = self._alternatives(g, reading, state, query)
            if _bare_name(g):
                choices = self._about_feature(g, choices)
            if len(choices) > 1:
                return Parse(query=None, choices=choices, confidence=confidence, message=UNSURE, source="nl")
        return Parse(query=query, confidence=round(confidence, 3), source="nl")

    def _state_text(self, state) -> str:
        steps = getattr(state, "last_steps", None)
        if state is None or not steps:
            return ""
        n = state.current_size
        who = ("everyone" if n is None else f"one {self.schema.entity}" if n == 1 else "a group")
        where = getattr(state, "last_where", None) if who == "a group" else None
        group = where_features(where.to_json()) if where is not None else []
        return state_words([s.to_json() for s in steps], who, self.schema.features, group)

    def _feature_in_other_words(self, op: str, g) -> str | None:
        """'the time someone spent locked up' -> months_in_jail: the feature whose words mean
        the same as an uncovered phrase (sentence-model similarity), or None."""
        from talk2model.parser.semantic import candidate_phrases

        covered = {i for s in g.spans for i in range(s.start, s.end)}
        phrases = candidate_phrases(g.tokens, covered, self.generic)
        if not phrases:
            return None
        found = self._semantic_for("sensitive" if op == "bias" else "all").guess(phrases)
        return found[0] if found else None

    def _semantic_for(self, key: str):
        from talk2model.parser.semantic import SemanticFeatures

        if key not in self._semantic:
            features = list(self.schema.sensitive) if key == "sensitive" else None
            self._semantic[key] = SemanticFeatures(self.schema, features)
        return self._semantic[key]

    def _unknown(self, g, reading) -> Parse:
        """The reader says the question is about something this data lacks: say what, and
        offer the nearest real features (never a silent stand-in); a fairness question offers
        the checks the data can do."""
        from talk2model.parser.semantic import candidate_phrases

        asked = [op for op, p in (reading.slots[0].alternatives if reading.slots else [])
                 if op not in ("end", "outside", "unknown") and p >= 0.1]
        if asked[:1] == ["bias"] or C.says_fairness(g):
            return self._ask_feature("bias", g, [])
        unknown = self._unknown_words(g)
        clause = C.change_clause_naming_nothing(g)
        if unknown:
            lead = NO_SUCH_FEATURE.format(words=" or ".join(f"'{w}'" for w in unknown))
        elif clause:
            lead = UNREAD.format(problems=NO_CHANGE.format(clause=clause))
        else:
            lead = NOTHING_LIKE
        covered = {i for s in g.spans for i in range(s.start, s.end)}
        phrases = candidate_phrases(g.tokens, covered, self.generic) or list(unknown)
        try:
            nearest = self._semantic_for("all").nearest(phrases) if phrases else []
        except Exception:  # noqa: BLE001 - the nearest features are a courtesy; the answer stands without
            nearest = []
        names = [self.schema.features[f].label for f in nearest] or \
            [self.schema.features[f].label for f in list(self.schema.features)[:4]]
        return Parse(message=lead + NEAREST.format(features=", ".join(names)), source="nl")

    def _unknown_words(self, g) -> list[str]:
        """Words the question leans on that neither this workspace nor questions in general use."""
        in_span = {i for s in g.spans for i in range(s.start, s.end)}
        lexicon = self.grounder.lexicon.words
        return [t for i, t in enumerate(g.tokens) if i not in in_span and t.isalpha() and len(t) >= 4
                and t not in self.generic and t not in lexicon][:2]

    def _ask_feature(self, op: str, g, partial: list) -> Parse:
        unknown = self._unknown_words(g)
        lead = NO_SUCH_FEATURE.format(words=" or ".join(f"'{w}'" for w in unknown)) + " " if unknown else ""
        if op == "bias":
            options = list(self.schema.sensitive)[:3] or list(self.schema.features)[:3]
            choices = []
            for f in options:
                query = validate(q.Query(tuple(partial) + (q.Bias(attribute=f),)), self.schema)
                choices.append(Choice(describe_query(query, self.schema), query))
            return Parse(choices=choices, message=lead + WHICH_ATTRIBUTE, confidence=0.3, source="nl")
        names = [self.schema.features[f].label for f in list(self.schema.features)[:6]]
        return Parse(message=lead + WHICH_FEATURE.format(features=", ".join(names)), source="nl")

    def _ask_number(self, ask, g, reading, state) -> Parse:
        value, features = ask
        return Parse(message=WHICH_NUMBER.format(value=value) + (
            " It could be " + ", ".join(self.schema.features[f].label for f in features[:4]) + "."
            if features else ""), source="nl")

    def _alternatives(self, g, reading, state, first: q.Query) -> list[Choice]:
        """The best reading and the reader's next-best operations for the first slot, each as a
        query: clickable choices when the reader is unsure."""
        import copy

        choices = [Choice(describe_query(first, self.schema), first)]
        for op, p in reading.slots[0].alternatives if reading.slots else []:
            if op in ("end", "outside", "unknown", "repeat", "followup") or p < 0.1:
                continue
            alt = copy.deepcopy(reading)
            alt.slots[0].op = op
            alt.slots[0].args = {}
            built = self.assembler.build(g, alt, state)
            if built.query is None or built.problems:
                continue
            try:
                query = validate(built.query, self.schema)
            except QueryError:
                continue
            if all(c.query != query for c in choices):
                choices.append(Choice(describe_query(query, self.schema), query))
            if len(choices) == 3:
                break
        return choices

    def _about_feature(self, g, choices: list[Choice]) -> list[Choice]:
        """'glucose': what a person may want to know about one column, up to three choices."""
        feature = next(f for sp in g.spans if sp.kind == "feature" for f in sp.features)
        if feature not in self.schema.features:
            return choices
        for step in (q.Statistic(feature=feature), q.Define(feature=feature), q.Dependence(feature=feature)):
            if len(choices) >= 3:
                break
            query = validate(q.Query((step,)), self.schema)
            if all(c.query.steps[0].op != step.op for c in choices):
                choices.append(Choice(describe_query(query, self.schema), query))
        return choices

    def _examples(self, lead: str) -> Parse:
        examples = list(self.schema.examples[:3]) or ["What can you do?", "Which features matter most?",
                                                      "How accurate is the model?"]
        return Parse(message=lead + EXAMPLES.format(examples="; ".join(f'"{e}"' for e in examples)),
                     source="nl")


_WARM = threading.Lock()


def warm_up() -> None:
    """Load the reader once in the background (the app and the CLI call this at start)."""
    def load():
        try:
            Reader.shared()
        except Exception:  # noqa: BLE001 - reported when the first question is parsed
            pass
    threading.Thread(target=load, name="talk2model-reader").start()


# those only images answer; on images a person's "what must change for it to be a 3" is an adversarial question
IMAGE_OPS = frozenset({"visualize_class", "concepts"})
TABLE_OPS = frozenset({"counterfactual", "anchor"})


def unavailable_ops(workspace) -> frozenset[str]:
    """The operations the reader never chooses in this workspace. The operations that look inside a
    PyTorch network stay choosable on other models: asked for, they say plainly that this model has
    none to look into, instead of a silent stand-in ("how easily can you be fooled?" read as likelihood)."""
    return TABLE_OPS if workspace.kind == "image" else IMAGE_OPS


def folded_ops(workspace) -> dict[str, str]:
    """Operations that ask the same thing as another one this model can run. On a table without a
    network, "the smallest change that flips his prediction" is a counterfactual: when the reader
    hesitates between the two, the counterfactual is meant."""
    estimator = getattr(workspace.model, "estimator", None)
    if workspace.kind == "image" or type(estimator).__name__ == "TorchMLPClassifier":
        return {}
    return {"adversarial": "counterfactual"}


def _bare_name(g) -> bool:
    """The question is only a column's name ('glucose', 'age?'): it asks for something, not what."""
    words = [t for t in g.tokens if t.isalnum()]
    spans = [sp for sp in g.spans if sp.kind != "entity"]
    return len(spans) == 1 and spans[0].kind == "feature" and spans[0].end - spans[0].start == len(words)

