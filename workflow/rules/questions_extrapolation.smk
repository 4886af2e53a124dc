# Open question 4, "can the log rule extrapolate the limit and speed up learning?": plain
# backprop against backprop with log-rule jumps, by steps to a target error (config
# `extrapolation`).


rule extrapolation:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/extrapolation/{problem}/{theta}.parquet",
        trace="results/extrapolation/{problem}/{theta}_trace.parquet",
    log:
        "results/logs/extrapolation/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/extrapolation/{problem}/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=get_extrapolation_settings,
    script:
        "../scripts/questions/extrapolation.py"


rule xor_extrapolation:
    output:
        table="results/extrapolation/xor/logistic.parquet",
        trace="results/extrapolation/xor/logistic_trace.parquet",
    log:
        "results/logs/extrapolation/xor/logistic.log",
    benchmark:
        "results/benchmarks/extrapolation/xor/logistic.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        settings=get_xor_extrapolation_settings,
    script:
        "../scripts/questions/extrapolation.py"


rule extrapolation_table:
    input:
        tables=get_extrapolation_tables,
    output:
        table="results/tables/extrapolation.parquet",
    log:
        "results/logs/tables/extrapolation.log",
    benchmark:
        "results/benchmarks/tables/extrapolation.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_extrapolation_jobs(),
    script:
        "../scripts/pipeline/stack_tables.py"


rule extrapolation_figure:
    input:
        table="results/tables/extrapolation.parquet",
        traces=get_extrapolation_traces,
    output:
        png=report(
            "results/figures/extrapolation.png",
            caption="../report/extrapolation_figure.rst",
            category="Extrapolation",
            labels={"format": "png"},
        ),
        pdf=report(
            "results/figures/extrapolation.pdf",
            caption="../report/extrapolation_figure.rst",
            category="Extrapolation",
            labels={"format": "pdf"},
        ),
    log:
        "results/logs/figures/extrapolation.log",
    benchmark:
        "results/benchmarks/figures/extrapolation.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_extrapolation_jobs(),
    script:
        "../scripts/figures/extrapolation_figure.py"
