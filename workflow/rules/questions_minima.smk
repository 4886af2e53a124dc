# Open questions 1 and 2: counts of minima against m, structured tasks against shuffled.


rule minima_counts:
    input:
        minima="results/tables/minima.parquet",
        problems=get_minima_problems,
        tables=get_minima_tables,
    output:
        table="results/tables/minima_counts.parquet",
    log:
        "results/logs/tables/minima_counts.log",
    benchmark:
        "results/benchmarks/tables/minima_counts.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        problems=MINIMA_PROBLEMS,
        jobs=get_minima_jobs(),
    script:
        "../scripts/minima/minima_counts.py"


rule minima_figure:
    input:
        counts="results/tables/minima_counts.parquet",
    output:
        png=report(
            "results/figures/{plot}.png",
            caption="../report/minima_figure.rst",
            category="Local minima",
            labels={"figure": "{plot}", "format": "png"},
        ),
        pdf=report(
            "results/figures/{plot}.pdf",
            caption="../report/minima_figure.rst",
            category="Local minima",
            labels={"figure": "{plot}", "format": "pdf"},
        ),
    log:
        "results/logs/figures/{plot}.log",
    benchmark:
        "results/benchmarks/figures/{plot}.tsv"
    wildcard_constraints:
        plot="minima_count|task_minima",
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        thetas=MINIMA_THETAS,
    script:
        "../scripts/figures/minima_figure.py"
