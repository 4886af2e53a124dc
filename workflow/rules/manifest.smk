# results/manifest.tsv: every table of the run (results/tables/ and the per-job tables)
# with its row count, size and sha256, sorted by path.  Two runs of one config give the
# same manifest byte for byte.


rule manifest:
    input:
        tables=get_manifest_tables,
    output:
        manifest="results/manifest.tsv",
    log:
        "results/logs/tables/manifest.log",
    benchmark:
        "results/benchmarks/tables/manifest.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/pipeline/manifest.py"
