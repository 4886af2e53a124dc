# The fold of the type-3 example: the a* above which E has a finite maximum.


rule type3_bifurcation:
    output:
        table="results/bifurcation/{theta}.parquet",
    log:
        "results/logs/bifurcation/{theta}.log",
    benchmark:
        "results/benchmarks/bifurcation/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/minima/type3_bifurcation.py"


rule bifurcation_table:
    input:
        tables=get_bifurcation_tables,
    output:
        table="results/tables/bifurcation.parquet",
    log:
        "results/logs/tables/bifurcation.log",
    benchmark:
        "results/benchmarks/tables/bifurcation.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        thetas=THETAS,
    script:
        "../scripts/pipeline/stack_tables.py"
