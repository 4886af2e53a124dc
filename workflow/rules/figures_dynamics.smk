# Figures of Section 3: trajectories, the log-rule diagnostic, Figure 5, the margin angle.


rule trajectories_figure:
    input:
        flows=get_theta_flows,
        laws="results/tables/growth_laws.parquet",
    output:
        png=report(
            "results/figures/{plot}_{theta}.png",
            caption="../report/dynamics_figure.rst",
            category="Diverging weights",
            subcategory="{plot}",
            labels={"theta": "{theta}", "format": "png"},
        ),
        pdf=report(
            "results/figures/{plot}_{theta}.pdf",
            caption="../report/dynamics_figure.rst",
            category="Diverging weights",
            subcategory="{plot}",
            labels={"theta": "{theta}", "format": "pdf"},
        ),
    log:
        "results/logs/figures/{plot}_{theta}.log",
    benchmark:
        "results/benchmarks/figures/{plot}_{theta}.tsv"
    wildcard_constraints:
        plot="trajectories|log_rule",
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        problems=TRAJECTORY_PROBLEMS,
    script:
        "../scripts/figures/dynamics_figure.py"


rule xor_figure:
    input:
        trajectory="results/trajectories/xor/logistic/backprop.parquet",
        seeds="results/tables/xor_seeds.parquet",
    output:
        png=report(
            "results/figures/fig5_xor.png",
            caption="../report/xor_figure.rst",
            category="Diverging weights",
            subcategory="Figure 5",
            labels={"format": "png"},
        ),
        pdf=report(
            "results/figures/fig5_xor.pdf",
            caption="../report/xor_figure.rst",
            category="Diverging weights",
            subcategory="Figure 5",
            labels={"format": "pdf"},
        ),
    log:
        "results/logs/figures/fig5_xor.log",
    benchmark:
        "results/benchmarks/figures/fig5_xor.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../scripts/figures/dynamics_figure.py"


rule margin_angle_figure:
    input:
        angles=get_angle_tables,
    output:
        png=report(
            "results/figures/margin_angle.png",
            caption="../report/margin_angle.rst",
            category="Diverging weights",
            subcategory="Implicit bias",
            labels={"format": "png"},
        ),
        pdf=report(
            "results/figures/margin_angle.pdf",
            caption="../report/margin_angle.rst",
            category="Diverging weights",
            subcategory="Implicit bias",
            labels={"format": "pdf"},
        ),
    log:
        "results/logs/figures/margin_angle.log",
    benchmark:
        "results/benchmarks/figures/margin_angle.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_lemma_jobs(),
        thetas=THETAS,
    script:
        "../scripts/figures/dynamics_figure.py"
