"""Build ../test.jsonl and ../dev.jsonl from the hand-written items_<ws>.py files.

Each item is (question, steps) or (question, steps, "manual tags").  Most tags are
derived from the gold; typo / numbers_in_words / out_of_scope are written by hand.
"""
import copy, importlib, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
WS = ["credit", "german", "compas", "diabetes"]
FLAGS = {
    "credit": set(),
    "german": {"Gender", "ForeignWorker", "Single", "HasTelephone",
               "CheckingAccountBalanceGreaterOrEqualTo0", "CheckingAccountBalanceGreaterOrEqualThan200",
               "SavingsAccountBalanceGreaterOrEqualThan200", "SavingsAccountBalanceGreaterOrEqualThan500",
               "MissedPayments", "NoCurrentLoan", "CriticalAccountOrLoansElsewhere", "OtherLoansAtBank",
               "OtherLoansAtStore", "HasCoapplicant", "HasGuarantor", "OwnsHouse", "RentsHouse", "Unemployed",
               "YearsAtCurrentJobLessThan1", "YearsAtCurrentJobGreaterOrEqualThan4", "JobClassIsSkilled",
               "loanpurposeBusiness", "loanpurposeEducation", "loanpurposeElectronics", "loanpurposeFurniture",
               "loanpurposeHomeAppliances", "loanpurposeNewCar", "loanpurposeOther", "loanpurposeRepairs",
               "loanpurposeRetraining", "loanpurposeUsedCar"},
    "compas": {"recidivated", "felony", "misdemeanor", "woman", "man", "black"},
    "diabetes": set(),
}


NUMWORDS = re.compile(r"\b(zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                      r"fifty|sixty|seventy|eighty|hundred|twenties|thirties|forties|fifties|sixties|seventies|"
                      r"twice|decade|one (?:more|fewer|prior|pregnancy))\b", re.I)


def leaves(e):
    if "feature" in e:
        return [e]
    if "not" in e:
        return leaves(e["not"])
    k = "and" if "and" in e else "or"
    return [x for sub in e[k] for x in leaves(sub)]


def has_range(e):
    if "feature" in e:
        return False
    if "not" in e:
        return has_range(e["not"])
    k = "and" if "and" in e else "or"
    if k == "and":
        lo = {x["feature"] for x in e[k] if "feature" in x and x["cmp"] in (">", ">=")}
        hi = {x["feature"] for x in e[k] if "feature" in x and x["cmp"] in ("<", "<=")}
        if lo & hi:
            return True
    return any(has_range(x) for x in e[k])


def auto_tags(ws, q, steps, manual):
    tags = []
    ops = [s["op"] for s in steps]
    where = [s["where"] for s in steps if s["op"] == "filter"]
    lv = [x for w in where for x in leaves(w)]
    if where: tags.append("filter")
    if any(x["feature"] == "id" for x in lv): tags.append("id")
    if any(x["feature"] in ("label", "prediction") for x in lv): tags.append("class")
    if len(lv) >= 2: tags.append("multi_cond")
    real_ops = [o for o in ops if o not in ("filter", "previous_filter", "whatif")]
    if len(real_ops) >= 2: tags.append("multi_op")
    if "previous_filter" in ops: tags.append("reference")
    if any(has_range(w) for w in where): tags.append("range")
    if any(x["feature"] in FLAGS[ws] for x in lv) or any(
            s["op"] == "whatif" and s["feature"] in FLAGS[ws] for s in steps): tags.append("flag")
    if any(isinstance(x["value"], str) for x in lv) or any(
            s["op"] == "whatif" and isinstance(s["value"], str) for s in steps): tags.append("category")
    if NUMWORDS.search(q.replace("within two years", "")): tags.append("numbers_in_words")
    nw = len(q.split())
    if nw <= 3: tags.append("short")
    if nw >= 30: tags.append("long")
    for o in ops:
        if o != "filter" and o not in tags:
            tags.append(o)
    for t in manual.split():
        t = {"nw": "numbers_in_words"}.get(t, t)
        if t not in tags:
            tags.append(t)
    return tags


def main():
    out = {"test": [], "dev": []}
    for ws in WS:
        mod = importlib.import_module(f"items_{ws}")
        for split in ("test", "dev"):
            items = getattr(mod, split.upper())
            for n, it in enumerate(items, 1):
                q, steps = it[0], copy.deepcopy(it[1])
                manual = it[2] if len(it) > 2 else ""
                out[split].append({"id": f"{ws}-{n + (1000 if split == 'dev' else 0)}", "workspace": ws,
                                   "question": q, "gold": {"steps": steps},
                                   "tags": auto_tags(ws, q, steps, manual)})
    for split, rows in out.items():
        with open(os.path.join(HERE, "..", f"{split}.jsonl"), "w") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(split, len(rows))


if __name__ == "__main__":
    main()
