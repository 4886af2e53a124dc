# The run as a whole: results/summary.md (the headline numbers, quoted by the README)
# and results/manifest.tsv (every table with its rows, size and sha256, sorted by path:
# two runs of one config give the same manifest byte for byte).


rule summary:
    input:
        **{name: aggregate_path(name) for name in PLAN.summary_tables},
    output:
        markdown="results/summary.md",
    log:
        "results/logs/tables/summary.log",
    params:
        type3_a=PLAN.settings("figures")["case3_a"],
    run:
        run_script("../scripts/pipeline/summary.py", locals(), config)


rule manifest:
    input:
        tables=PLAN.parquet_tables(),
    output:
        manifest="results/manifest.tsv",
    log:
        "results/logs/tables/manifest.log",
    run:
        run_script("../scripts/pipeline/manifest.py", locals(), config)


rule scale:
    input:
        PLAN.scale_outputs(),
