# The headline numbers of a run, as Markdown (the README's Results quote this file).


rule summary:
    input:
        **{name: f"results/tables/{name}.parquet" for name in SUMMARY_TABLES},
    output:
        markdown="results/summary.md",
    log:
        "results/logs/tables/summary.log",
    benchmark:
        "results/benchmarks/tables/summary.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        type3_a=config["figures"]["case3_a"],
    script:
        "../scripts/pipeline/summary.py"
