# Stage "figures": the paper's Figures 1-4 for every theta, and the bifurcation diagram.


rule paper_figure:
    input:
        unpack(get_paper_figure_inputs),
    output:
        png=report(
            "results/figures/fig{fig}_{theta}.png",
            caption="../report/paper_figure.rst",
            category="Paper figures",
            subcategory="Figure {fig}",
            labels={"theta": "{theta}", "format": "png"},
        ),
        pdf=report(
            "results/figures/fig{fig}_{theta}.pdf",
            caption="../report/paper_figure.rst",
            category="Paper figures",
            subcategory="Figure {fig}",
            labels={"theta": "{theta}", "format": "pdf"},
        ),
    log:
        "results/logs/figures/fig{fig}_{theta}.log",
    benchmark:
        "results/benchmarks/figures/fig{fig}_{theta}.tsv"
    wildcard_constraints:
        fig="[1-4]",
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        problem=lambda wildcards: get_paper_figure_problem(wildcards.fig),
        plot=lambda wildcards: "energy" if wildcards.fig in ("1", "2") else "image",
        paper_theta=lambda wildcards: wildcards.theta == config["figures"]["paper_theta"],
    script:
        "../scripts/figures/paper_figure.py"


rule bifurcation_figure:
    input:
        critical="results/tables/critical_points.parquet",
        bifurcation="results/tables/bifurcation.parquet",
    output:
        png=report(
            "results/figures/bifurcation.png",
            caption="../report/bifurcation_figure.rst",
            category="Bifurcation of the type-3 example",
            labels={"format": "png"},
        ),
        pdf=report(
            "results/figures/bifurcation.pdf",
            caption="../report/bifurcation_figure.rst",
            category="Bifurcation of the type-3 example",
            labels={"format": "pdf"},
        ),
    log:
        "results/logs/figures/bifurcation.log",
    benchmark:
        "results/benchmarks/figures/bifurcation.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        thetas=THETAS,
    script:
        "../scripts/figures/bifurcation_figure.py"
