"""Tiny helpers for writing gold queries by hand (used by build.py)."""

def c(f, cmp, v):
    return {"feature": f, "cmp": cmp, "value": v}

def eq(f, v): return c(f, "==", v)
def ne(f, v): return c(f, "!=", v)
def gt(f, v): return c(f, ">", v)
def ge(f, v): return c(f, ">=", v)
def lt(f, v): return c(f, "<", v)
def le(f, v): return c(f, "<=", v)

def ID(n): return eq("id", n)
def PRED(v): return eq("prediction", v)
def LABEL(v): return eq("label", v)

def A(*es):
    out = []
    for e in es:
        if isinstance(e, dict) and set(e) == {"and"}:
            out.extend(e["and"])
        else:
            out.append(e)
    return {"and": out}

def O(*es): return {"or": list(es)}
def NOT(e): return {"not": e}
def IDS(*ns): return O(*[ID(n) for n in ns])
def btw(f, a, b): return {"and": [ge(f, a), le(f, b)]}
def decade(f, a): return {"and": [ge(f, a), lt(f, a + 10)]}

# steps
def F(*es):
    return {"op": "filter", "where": es[0] if len(es) == 1 else A(*es)}
def PF(): return {"op": "previous_filter"}
def W(f, action, v):
    action = {"inc": "increase", "dec": "decrease"}.get(action, action)
    return {"op": "whatif", "feature": f, "action": action, "value": v}
def P(): return {"op": "predict"}
def L(): return {"op": "likelihood"}
def EX(m="auto"): return {"op": "explain", "method": m}
def CF(): return {"op": "counterfactual"}
def IMP(top=None, feature=None):
    s = {"op": "importance"}
    if top is not None: s["top"] = top
    if feature is not None: s["feature"] = feature
    return s
def INT(): return {"op": "interactions"}
def DEP(f): return {"op": "dependence", "feature": f}
def RULES(): return {"op": "rules"}
def SC(m="accuracy"): return {"op": "score", "metric": m}
def MIS(mode): return {"op": "mistakes", "mode": mode}
def LAB(): return {"op": "labels"}
def CNT(): return {"op": "count"}
def SHOW(): return {"op": "show"}
def ST(f): return {"op": "statistic", "feature": f}
def BIAS(a, metric=None):
    s = {"op": "bias", "attribute": a}
    if metric: s["metric"] = metric
    return s
def DD(): return {"op": "describe_data"}
def DM(): return {"op": "describe_model"}
def DEF(f): return {"op": "define", "feature": f}
def CAP(): return {"op": "capabilities"}
def REP(): return {"op": "repeat"}
def FU(): return {"op": "followup"}
