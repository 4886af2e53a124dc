# Open question 3, "is relaxation worth it?": multistart descent, simulated annealing and
# basin hopping, by P(global minimum reached) against evaluations (config `relaxation`).


rule relaxation:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/relaxation/{problem}/{theta}.parquet",
    log:
        "results/logs/relaxation/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/relaxation/{problem}/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=get_relaxation_settings,
    script:
        "../scripts/questions/relaxation.py"


rule relaxation_table:
    input:
        tables=get_relaxation_tables,
    output:
        table="results/tables/relaxation.parquet",
    log:
        "results/logs/tables/relaxation.log",
    benchmark:
        "results/benchmarks/tables/relaxation.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_relaxation_jobs(),
    script:
        "../scripts/pipeline/stack_tables.py"


rule relaxation_figure:
    input:
        table="results/tables/relaxation.parquet",
    output:
        png=report(
            "results/figures/relaxation.png",
            caption="../report/relaxation_figure.rst",
            category="Relaxation",
            labels={"format": "png"},
        ),
        pdf=report(
            "results/figures/relaxation.pdf",
            caption="../report/relaxation_figure.rst",
            category="Relaxation",
            labels={"format": "pdf"},
        ),
    log:
        "results/logs/figures/relaxation.log",
    benchmark:
        "results/benchmarks/figures/relaxation.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/figures/relaxation_figure.py"
