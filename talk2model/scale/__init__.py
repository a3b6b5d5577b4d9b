"""Batch work over data bigger than one process holds, on Dask.

    with open_client() as client:                 # a LocalCluster sized to the machine,
        summary = run_audit(workspace, client, out="audit/")   # or open_client("tcp://host:8786")
    summary.fairness["sex"].demographic_parity_ratio

`talk2model audit` (the command) and `talk2model precompute` use this path. What a single
question does is unchanged: operations still work on pandas frames; this layer only reads the
workspace, its model and schema, the explainers (attributions, fairness, counterfactuals) and the
store, never the parser, the engine or the interfaces.

| module | what it does |
|---|---|
| `cluster.py` | `open_client(address=None, ...)`: a `distributed.Client` on a LocalCluster sized to the machine, or on a running scheduler; the dashboard link |
| `source.py` | a workspace's rows as a Dask DataFrame indexed by row id: the frame in memory, a Parquet dataset (folder or glob), a CSV file, or a SQL table read in partitions (`read_sql_table`) |
| `where.py` | a query-language condition evaluated on one partition |
| `audit.py` | `run_audit`: per row prediction, probability, attributions and principal reasons, written as partitioned Parquet; fairness over all rows from counted cells; `main` for the command |
| `fairness.py` | a fairness question on a workspace that holds a sample, answered from the audit of every row |
| `precompute.py` | `talk2model precompute`: the audit's job, then its output into the attribution cache |
| `synthetic.py` | a table resampled with noise to any size, for tests and benchmarks |
"""

from talk2model.scale.cluster import dashboard_link, open_client

__all__ = ["dashboard_link", "open_client"]
